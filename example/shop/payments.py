"""A simulated payment gateway: the shop's one outside service.

It behaves like a real one where it matters for debugging: it takes time
(``SHOP_PAYMENT_GATEWAY["LATENCY_MS"]``), it is sometimes unavailable
(``["FAILURE_RATE"]``, 0..1), and one documented test card is always declined.

A synthetic request (a manual test run from flowscope's dashboard,
``flowscope.is_synthetic()``) never reaches the gateway: it gets a sandbox answer, marked
``simulated`` and with a ``simulated_`` reference, as a real gateway's test mode would
give, the test card declined all the same.
"""

import random
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

import flowscope
from shop.exceptions import PaymentDeclined, PaymentGatewayUnavailable

# Like the test cards of real gateways: both valid by Luhn; the first is always declined by
# the "issuer", the second is charged whenever the gateway answers.
DECLINED_CARD_NUMBER = "4000000000000002"
VALID_CARD_NUMBER = "4242424242424242"


SIMULATED_PREFIX = "simulated_"


@dataclass(frozen=True)
class Charge:
    reference: str
    amount: Decimal
    card_last4: str
    simulated: bool = False


@flowscope.step("payment_gateway.charge", layer="external")
def charge(amount, card_number, *, rng=random):
    """Charge ``amount`` to the card; return a ``Charge`` or raise a payment error."""
    flowscope.annotate(amount=f"{amount:.2f}")
    if flowscope.is_synthetic():
        return simulate(amount, card_number)
    return send_to_gateway(amount, card_number, rng)


def send_to_gateway(amount, card_number, rng):
    """The gateway's real charge: the money moves."""
    config = settings.SHOP_PAYMENT_GATEWAY
    time.sleep(config["LATENCY_MS"] / 1000)
    _decline_test_card(card_number)
    if rng.random() < config["FAILURE_RATE"]:
        raise PaymentGatewayUnavailable("The payment gateway did not answer; try again.")
    return Charge(f"pay_{uuid.uuid4().hex[:24]}", amount, card_number[-4:])


def simulate(amount, card_number):
    """The sandbox's answer: nothing is charged, nothing leaves the process."""
    _decline_test_card(card_number)
    reference = f"{SIMULATED_PREFIX}{uuid.uuid4().hex[:24]}"
    return Charge(reference, amount, card_number[-4:], simulated=True)


def _decline_test_card(card_number):
    if card_number == DECLINED_CARD_NUMBER:
        raise PaymentDeclined("The card was declined by its issuer.")
