import pytest

from shop.models import CartItem

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/cart/items/"


def test_cart_needs_login(anon, catalogue):
    for method, path in [
        ("get", "/api/v1/cart/"),
        ("post", ITEMS),
        ("patch", f"{ITEMS}1/"),
        ("delete", f"{ITEMS}1/"),
    ]:
        response = getattr(anon, method)(path)
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "not_authenticated"


def test_empty_cart(api):
    assert api.get("/api/v1/cart/").json() == {"items": [], "item_count": 0, "total": "0.00"}


def test_add_items_and_see_the_total(api, novel, trowel):
    api.post(ITEMS, {"product_id": novel.pk, "quantity": 2}, format="json")
    response = api.post(ITEMS, {"product_id": trowel.pk, "quantity": 1}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["item_count"] == 3
    assert body["total"] == "32.25"
    assert [
        (line["product"]["id"], line["quantity"], line["subtotal"]) for line in body["items"]
    ] == [(novel.pk, 2, "25.00"), (trowel.pk, 1, "7.25")]


def test_adding_the_same_product_again_raises_its_line(api, novel):
    api.post(ITEMS, {"product_id": novel.pk, "quantity": 2}, format="json")
    body = api.post(ITEMS, {"product_id": novel.pk, "quantity": 3}, format="json").json()
    assert [line["quantity"] for line in body["items"]] == [5]


def test_cannot_add_more_than_in_stock(api, trowel):
    api.post(ITEMS, {"product_id": trowel.pk, "quantity": 2}, format="json")
    response = api.post(ITEMS, {"product_id": trowel.pk, "quantity": 2}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"quantity": ["Only 3 of 'Blue Trowel' in stock."]}
    assert CartItem.objects.get().quantity == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quantity": 1}, "product_id"),
        ({"product_id": 1}, "quantity"),
        ({"product_id": "one", "quantity": 1}, "product_id"),
        ({"product_id": 1, "quantity": "lots"}, "quantity"),
        ({"product_id": 1, "quantity": 0}, "quantity"),
        ({"product_id": 1, "quantity": -3}, "quantity"),
        ({"product_id": 1, "quantity": 1.5}, "quantity"),
        ({"product_id": 987654, "quantity": 1}, "product_id"),
    ],
)
def test_bad_input_names_the_field(api, catalogue, body, field):
    response = api.post(ITEMS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CartItem.objects.exists()


def test_unknown_product_message(api, catalogue):
    response = api.post(ITEMS, {"product_id": 987654, "quantity": 1}, format="json")
    assert response.json()["errors"]["product_id"] == ["Product 987654 does not exist."]


def test_change_quantity(api, novel):
    item_id = api.post(ITEMS, {"product_id": novel.pk, "quantity": 1}, format="json").json()[
        "items"
    ][0]["id"]
    response = api.patch(f"{ITEMS}{item_id}/", {"quantity": 4}, format="json")
    assert response.status_code == 200
    assert response.json()["items"][0]["quantity"] == 4


@pytest.mark.parametrize("quantity", [0, -1, 11, "x", None])
def test_change_quantity_rejects_bad_values(api, novel, quantity):
    item_id = api.post(ITEMS, {"product_id": novel.pk, "quantity": 1}, format="json").json()[
        "items"
    ][0]["id"]
    response = api.patch(f"{ITEMS}{item_id}/", {"quantity": quantity}, format="json")
    assert response.status_code == 400
    assert "quantity" in response.json()["errors"]
    assert CartItem.objects.get().quantity == 1


def test_remove_item(api, novel):
    item_id = api.post(ITEMS, {"product_id": novel.pk, "quantity": 1}, format="json").json()[
        "items"
    ][0]["id"]
    assert api.delete(f"{ITEMS}{item_id}/").status_code == 204
    assert api.get("/api/v1/cart/").json()["items"] == []
    assert api.delete(f"{ITEMS}{item_id}/").status_code == 404


def test_other_users_cart_lines_are_out_of_reach(api, make_user, client_of, novel):
    item_id = api.post(ITEMS, {"product_id": novel.pk, "quantity": 1}, format="json").json()[
        "items"
    ][0]["id"]
    mallory = client_of(make_user("mallory"))
    assert mallory.get("/api/v1/cart/").json()["items"] == []
    for response in [
        mallory.patch(f"{ITEMS}{item_id}/", {"quantity": 5}, format="json"),
        mallory.delete(f"{ITEMS}{item_id}/"),
    ]:
        assert response.status_code == 404
        assert response.json()["detail"] == f"Cart item {item_id} is not in your cart."
    assert CartItem.objects.get().quantity == 1
