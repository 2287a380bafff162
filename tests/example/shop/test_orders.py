import pytest

from tests.example.shop.factories import checkout_body

pytestmark = pytest.mark.django_db


def place_order(client, product, quantity=1):
    client.post(
        "/api/v1/cart/items/", {"product_id": product.pk, "quantity": quantity}, format="json"
    )
    return client.post("/api/v1/orders/checkout/", checkout_body(), format="json").json()


def test_orders_lists_only_the_callers_orders(api, make_user, client_of, novel, trowel):
    mine = [place_order(api, novel), place_order(api, trowel)]
    theirs = place_order(client_of(make_user("other")), novel)
    body = api.get("/api/v1/orders/").json()
    assert body["count"] == 2
    assert [order["id"] for order in body["results"]] == [mine[1]["id"], mine[0]["id"]]
    assert theirs["id"] not in {order["id"] for order in body["results"]}


def test_order_detail_of_another_user_is_404(api, make_user, client_of, novel):
    theirs = place_order(client_of(make_user("other")), novel)
    mine = place_order(api, novel, quantity=2)
    assert api.get(f"/api/v1/orders/{mine['id']}/").json()["items"][0]["quantity"] == 2
    assert api.get(f"/api/v1/orders/{theirs['id']}/").status_code == 404


def test_orders_need_login(anon, db):
    assert anon.get("/api/v1/orders/").status_code == 401
