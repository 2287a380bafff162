"""The example shop's data for tests: one small catalogue and seed_demo's customer alice,
with the passwords and cards the example itself defines (its demo accounts, its payment
gateway's test cards), and what a customer does with them through the simulator's browser.

The fixtures are registered for the whole suite by tests/conftest.py. They use ``db``: a
test that also asks for ``transactional_db`` (or ``live_server``, ``real_recorder``) gets
them committed.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shop.management.commands.seed_demo import DEMO_USERS
from shop.models import Category, Product
from shop.payments import DECLINED_CARD_NUMBER, VALID_CARD_NUMBER
from shop.simulation import scenarios

ALICE = "alice"
ALICE_PASSWORD = next(password for name, password, _ in DEMO_USERS if name == ALICE)
VALID_CARD = VALID_CARD_NUMBER
DECLINED_CARD = DECLINED_CARD_NUMBER
NOVELS = 25  # one more product than that fills two pages of the product list


def as_typed(card_number, separator=" "):
    """A card number in groups of four, as customers type it."""
    return separator.join(card_number[i : i + 4] for i in range(0, len(card_number), 4))


def make_catalogue(novels=NOVELS):
    """Books: ``novels`` novels "Novel {i}" ($12.50, 10 in stock, "A gripping story"); then, last,
    Garden's one product, the "Blue Trowel" ($7.25, only 3 in stock)."""
    books = Category.objects.create(name="Books", slug="books")
    garden = Category.objects.create(name="Garden", slug="garden")
    products = [
        Product.objects.create(
            category=books,
            name=f"Novel {i}",
            slug=f"novel-{i}",
            description="A gripping story",
            price=Decimal("12.50"),
            stock=10,
        )
        for i in range(novels)
    ]
    trowel = Product.objects.create(
        category=garden,
        name="Blue Trowel",
        slug="trowel",
        description="Steel",
        price=Decimal("7.25"),
        stock=3,
    )
    return [*products, trowel]


def make_alice():
    return get_user_model().objects.create_user(ALICE, f"{ALICE}@example.com", ALICE_PASSWORD)


def sign_in(browser):
    """Alice signs in in the simulator's browser; its later calls carry her token."""
    answer = browser.login(ALICE, ALICE_PASSWORD)
    assert answer.status == 200, answer
    return answer


def buy(browser, product, card):
    """Alice signs in, puts one ``product`` in her cart and checks out with ``card``:
    the checkout's answer."""
    sign_in(browser)
    browser.call("POST", "/api/v1/cart/items/", {"product_id": product.pk, "quantity": 1})
    return scenarios.checkout(browser, card)


@pytest.fixture
def catalogue(db):
    return make_catalogue()


@pytest.fixture
def novel(catalogue):
    return catalogue[0]


@pytest.fixture
def trowel(catalogue):
    return catalogue[-1]


@pytest.fixture
def alice(db):
    return make_alice()


class JourneyDice:
    """The dice of a simulated customer's journey (``scenarios.journey``'s rng), rolling as
    told: the right password, a product kept, a cart taken, then a card ``declined`` or
    not and, if declined, a ``retry`` or not. Choices take the first item, numbers the
    lowest."""

    def __init__(self, declined=False, retry=False):
        self.rolls = iter([0.9, 0.9, 0.9, 0.1 if declined else 0.9, 0.1 if retry else 0.9])

    def random(self):
        return next(self.rolls)

    def choice(self, items):
        return items[0]

    def randint(self, low, high):
        return low
