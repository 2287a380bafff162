from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shop.models import Category, Product


@pytest.fixture(autouse=True)
def _instant_payment_gateway(settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}


@pytest.fixture
def make_user(db):
    def make(username="shopper", password="correct-horse-battery"):
        return get_user_model().objects.create_user(username, f"{username}@example.com", password)

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def anon():
    return APIClient()


def client_for(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def client_of():
    return client_for


@pytest.fixture
def api(user):
    """An API client logged in (by token) as ``user``."""
    return client_for(user)


@pytest.fixture
def catalogue(db):
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
        for i in range(25)
    ]
    products.append(
        Product.objects.create(
            category=garden,
            name="Blue Trowel",
            slug="trowel",
            description="Steel",
            price=Decimal("7.25"),
            stock=3,
        )
    )
    return products


@pytest.fixture
def novel(catalogue):
    return catalogue[0]


@pytest.fixture
def trowel(catalogue):
    return catalogue[-1]
