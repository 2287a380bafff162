from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shop.models import Category, Product
from tests.flowscope.capture.shop_client import PASSWORD


@pytest.fixture
def shop(real_recorder, settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 5, "FAILURE_RATE": 0.0}
    category = Category.objects.create(name="Books", slug="books")
    products = [
        Product.objects.create(
            category=category, name=f"Book {i}", slug=f"b{i}", price=Decimal("9.99"), stock=50
        )
        for i in range(3)
    ]
    get_user_model().objects.create_user("alice", password=PASSWORD)
    return products
