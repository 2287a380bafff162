"""Request bodies for the shop's tests."""

from tests.shop_data import VALID_CARD, as_typed

TYPED_CARD = as_typed(VALID_CARD)  # spaces and all: the API accepts what customers type


def payment(card=TYPED_CARD, expiry="12/39", cvv="123"):
    return {"card_number": card, "expiry": expiry, "cvv": cvv}


def checkout_body(**payment_fields):
    return {"shipping_address": "1 Main Street, Springfield", "payment": payment(**payment_fields)}
