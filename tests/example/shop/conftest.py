"""The shop's API tests. The catalogue (``catalogue``, ``novel``, ``trowel``) is
tests/shop_data.py's."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


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
