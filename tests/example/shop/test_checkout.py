import threading

import pytest
from django.db import connection

from shop import checkout as checkout_module
from shop.models import CartItem, Order, OrderItem, Product
from tests.example.shop.factories import checkout_body, payment
from tests.shop_data import DECLINED_CARD, VALID_CARD, as_typed

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/orders/checkout/"
ITEMS = "/api/v1/cart/items/"


@pytest.fixture
def filled_cart(api, novel, trowel):
    api.post(ITEMS, {"product_id": novel.pk, "quantity": 2}, format="json")
    api.post(ITEMS, {"product_id": trowel.pk, "quantity": 3}, format="json")
    return api


def assert_nothing_changed(novel, trowel):
    assert not Order.objects.exists()
    assert not OrderItem.objects.exists()
    assert Product.objects.get(pk=novel.pk).stock == 10
    assert Product.objects.get(pk=trowel.pk).stock == 3
    assert sorted(CartItem.objects.values_list("quantity", flat=True)) == [2, 3]


def test_checkout_places_a_paid_order(filled_cart, novel, trowel):
    response = filled_cart.post(CHECKOUT, checkout_body(), format="json")
    assert response.status_code == 201
    order = response.json()
    assert order["total"] == "46.75"
    assert order["status"] == "paid"
    assert order["card_last4"] == "4242"
    assert order["payment_reference"].startswith("pay_")
    assert [(i["product_id"], i["quantity"]) for i in order["items"]] == [
        (novel.pk, 2),
        (trowel.pk, 3),
    ]
    assert Product.objects.get(pk=novel.pk).stock == 8
    assert Product.objects.get(pk=trowel.pk).stock == 0
    assert filled_cart.get("/api/v1/cart/").json()["items"] == []


def test_checkout_shows_new_stock_in_cached_product_reads(
    filled_cart, anon, trowel, django_capture_on_commit_callbacks
):
    assert anon.get(f"/api/v1/products/{trowel.pk}/").json()["stock"] == 3
    assert anon.get("/api/v1/products/", {"category": "garden"}).json()["results"][0]["stock"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        filled_cart.post(CHECKOUT, checkout_body(), format="json")
    assert anon.get(f"/api/v1/products/{trowel.pk}/").json()["stock"] == 0
    assert anon.get("/api/v1/products/", {"category": "garden"}).json()["results"][0]["stock"] == 0


def test_empty_cart_is_400(api, catalogue):
    response = api.post(CHECKOUT, checkout_body(), format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Your cart is empty.", "code": "empty_cart"}


def test_declined_card_is_402_and_changes_nothing(filled_cart, novel, trowel):
    response = filled_cart.post(
        CHECKOUT, checkout_body(card=as_typed(DECLINED_CARD)), format="json"
    )
    assert response.status_code == 402
    assert response.json() == {
        "detail": "The card was declined by its issuer.",
        "code": "payment_declined",
    }
    assert_nothing_changed(novel, trowel)


def test_gateway_outage_is_502_and_changes_nothing(filled_cart, novel, trowel, settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 1.0}
    response = filled_cart.post(CHECKOUT, checkout_body(), format="json")
    assert response.status_code == 502
    assert response.json()["code"] == "payment_gateway_unavailable"
    assert_nothing_changed(novel, trowel)


def test_out_of_stock_is_409_naming_the_items(filled_cart, novel, trowel):
    Product.objects.filter(pk=trowel.pk).update(stock=1)
    response = filled_cart.post(CHECKOUT, checkout_body(), format="json")
    assert response.status_code == 409
    assert response.json()["items"] == [{"product_id": trowel.pk, "requested": 3, "available": 1}]
    assert not Order.objects.exists()
    assert Product.objects.get(pk=novel.pk).stock == 10


@pytest.mark.parametrize(
    "body, path",
    [
        ({"payment": payment()}, ("shipping_address",)),
        ({"shipping_address": "x"}, ("payment",)),
        ({"shipping_address": "", "payment": payment()}, ("shipping_address",)),
        ({"shipping_address": "x" * 501, "payment": payment()}, ("shipping_address",)),
        ({"shipping_address": "x", "payment": "card"}, ("payment", "non_field_errors")),
        (
            {"shipping_address": "x", "payment": payment(card="4242 4242 4242 4241")},
            ("payment", "card_number"),
        ),
        ({"shipping_address": "x", "payment": payment(card="12ab")}, ("payment", "card_number")),
        ({"shipping_address": "x", "payment": payment(expiry="13/30")}, ("payment", "expiry")),
        ({"shipping_address": "x", "payment": payment(expiry="01/20")}, ("payment", "expiry")),
        ({"shipping_address": "x", "payment": payment(cvv="12")}, ("payment", "cvv")),
        ({"shipping_address": "x", "payment": payment(cvv="12a4")}, ("payment", "cvv")),
    ],
)
def test_bad_checkout_input_names_the_field(filled_cart, novel, trowel, body, path):
    response = filled_cart.post(CHECKOUT, body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    for key in path:
        errors = errors[key]
    assert errors
    assert_nothing_changed(novel, trowel)


def test_checkout_needs_login(anon, db):
    assert anon.post(CHECKOUT, checkout_body(), format="json").status_code == 401


def test_a_failure_midway_leaves_no_half_written_order(
    filled_cart, user, novel, trowel, monkeypatch
):
    def broken_bulk_create(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(OrderItem.objects, "bulk_create", broken_bulk_create)
    with pytest.raises(RuntimeError):
        checkout_module.checkout(user, "1 Main Street", VALID_CARD)
    assert_nothing_changed(novel, trowel)


@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_never_oversell(make_user, client_of, trowel):
    """Two customers race for the last units: one order, never negative stock."""
    clients = [client_of(make_user(name)) for name in ("ann", "ben")]
    for client in clients:
        client.post(ITEMS, {"product_id": trowel.pk, "quantity": 3}, format="json")
    statuses, barrier = [], threading.Barrier(len(clients))

    def buy(client):
        barrier.wait()
        try:
            statuses.append(client.post(CHECKOUT, checkout_body(), format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert Product.objects.get(pk=trowel.pk).stock == 0
    assert Order.objects.count() == 1
