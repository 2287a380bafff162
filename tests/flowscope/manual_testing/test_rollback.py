"""A run changes none of the project's data and calls no outside service for real: what
its requests write is rolled back when it ends, and host code that asks
``flowscope.is_synthetic()`` (the shop's payment gateway) simulates its calls. The trace
of the run is kept all the same (test_tracing.py reads it back from the store)."""

import pytest
from rest_framework.authtoken.models import Token

import flowscope
from shop import payments
from shop.models import Cart, CartItem, Order, OrderItem, Product
from tests.flowscope.manual_testing.conftest import run_endpoint, run_workflow


def shop_state():
    """Everything a checkout, a cart update or a login could change, in plain values."""
    return {
        "orders": Order.objects.count(),
        "order_items": OrderItem.objects.count(),
        "carts": Cart.objects.count(),
        "cart_lines": sorted(CartItem.objects.values_list("product_id", "quantity")),
        "stock": dict(Product.objects.values_list("pk", "stock")),
        "tokens": Token.objects.count(),
    }


def gateway_calls(monkeypatch):
    """Every call that reaches the real gateway, which fails the charge if it comes."""
    calls = []

    def real_gateway(amount, card_number, rng):
        calls.append((amount, card_number[-4:]))
        raise AssertionError("the real payment gateway was called")

    monkeypatch.setattr(payments, "send_to_gateway", real_gateway)
    return calls


def test_a_checkout_run_leaves_orders_stock_and_payments_unchanged(staff_client, shop, monkeypatch):
    calls = gateway_calls(monkeypatch)
    before = shop_state()
    result = run_workflow(staff_client, "checkout", quantity=2)
    assert result["passed"] is True, result
    assert [step["status_code"] for step in result["steps"]] == [200, 200, 201, 201]
    assert calls == []
    assert shop_state() == before
    assert not Order.objects.exists() and Product.objects.get(pk=shop.novel.pk).stock == 10
    assert not Token.objects.exists()  # the login's token, made by the run, is gone too


def test_an_endpoint_test_writes_nothing_either(staff_client, shop):
    token = Token.objects.create(user=shop.alice)
    before = shop_state()
    result = run_endpoint(
        staff_client,
        method="POST",
        path="/api/v1/cart/items/",
        headers={"Authorization": f"Token {token.key}"},
        payload={"product_id": shop.trowel.pk, "quantity": 2},
        expected_status=201,
    )
    assert result["passed"] is True, result
    assert result["response_body"]["items"][0]["quantity"] == 2  # the run saw its write
    assert shop_state() == before


def test_a_checkout_test_is_charged_nothing_and_says_so(staff_client, shop, monkeypatch):
    calls = gateway_calls(monkeypatch)
    token = Token.objects.create(user=shop.alice)
    CartItem.objects.create(
        cart=Cart.objects.create(user=shop.alice), product=shop.trowel, quantity=1
    )
    before = shop_state()
    result = run_endpoint(
        staff_client,
        method="POST",
        path="/api/v1/orders/checkout/",
        headers={"Authorization": f"Token {token.key}"},
        payload={
            "shipping_address": "1 Main St",
            "payment": {"card_number": payments.VALID_CARD_NUMBER, "expiry": "12/39", "cvv": "123"},
        },
        expected_status=201,
    )
    assert result["passed"] is True, result
    assert result["response_body"]["payment_reference"].startswith(payments.SIMULATED_PREFIX)
    assert calls == []
    assert shop_state() == before  # no order, the trowel still in stock and in the cart


def test_is_synthetic_inside_a_run_only(staff_client, shop, nested_urlconf, client):
    result = run_endpoint(staff_client, method="GET", path="/synthetic/", expected_status=200)
    assert result["response_body"] == {"here": True, "copied_context": True, "plain_thread": False}
    assert client.get("/synthetic/").json() == {
        "here": False,
        "copied_context": False,
        "plain_thread": False,
    }
    assert flowscope.is_synthetic() is False


def test_outside_a_run_the_gateway_is_called(monkeypatch):
    calls = gateway_calls(monkeypatch)
    with pytest.raises(AssertionError, match="real payment gateway"):
        payments.charge(1, payments.VALID_CARD_NUMBER)
    assert calls == [(1, "4242")]
