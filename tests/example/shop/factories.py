"""Request bodies for the shop's tests."""

VALID_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


def payment(card=VALID_CARD, expiry="12/39", cvv="123"):
    return {"card_number": card, "expiry": expiry, "cvv": cvv}


def checkout_body(**payment_fields):
    return {"shipping_address": "1 Main Street, Springfield", "payment": payment(**payment_fields)}
