import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from shop.management.commands.seed_demo import DEMO_USERS, SHOPPER_PASSWORD, SHOPPERS
from shop.models import Category, Product

pytestmark = pytest.mark.django_db


def snapshot():
    products = sorted(
        Product.objects.values_list("slug", "name", "price", "stock", "category__slug")
    )
    return products, sorted(Category.objects.values_list("slug", flat=True))


def test_seed_is_idempotent_and_restores_the_catalogue(capsys):
    call_command("seed_demo")
    first = snapshot()
    assert len(first[0]) >= 200
    Product.objects.update(stock=0)
    call_command("seed_demo")
    assert snapshot() == first
    assert get_user_model().objects.count() == len(DEMO_USERS) + len(SHOPPERS)
    assert "alice / alice-demo-pass" in capsys.readouterr().out


def test_demo_credentials_log_in(anon):
    call_command("seed_demo")
    shoppers = [(name, SHOPPER_PASSWORD, False) for name in SHOPPERS]
    for username, password, is_staff in [*DEMO_USERS, *shoppers]:
        response = anon.post(
            "/api/v1/auth/login/", {"username": username, "password": password}, format="json"
        )
        assert response.status_code == 200, username
        assert response.json()["user"]["is_staff"] is is_staff
