"""Shop traffic for the dashboard's browser tests, sent as real clients send it: HTTP
requests to the server, each with its correlation ID."""

import json
import urllib.error
import urllib.request

from tests.shop_data import ALICE, ALICE_PASSWORD, DECLINED_CARD


def call(base, path, correlation_id, body=None, token=None, method=None):
    headers = {"X-Correlation-ID": correlation_id, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def shop_traffic(base, product_id):
    """A product browse with the deliberate N+1, a 500, and a checkout with a declined card."""
    call(base, "/api/v1/products/?page_size=5", "wf-browse")
    call(base, f"/api/v1/products/{product_id}/", "wf-browse")
    call(base, f"/api/v1/products/{product_id}/related/", "wf-browse")
    call(base, "/api/v1/shipping/estimate/?country=XX", "wf-shipping")
    _, login = call(
        base,
        "/api/v1/auth/login/",
        "wf-checkout",
        {"username": ALICE, "password": ALICE_PASSWORD},
    )
    token = login["token"]
    call(
        base, "/api/v1/cart/items/", "wf-checkout", {"product_id": product_id, "quantity": 1}, token
    )
    payment = {"card_number": DECLINED_CARD, "expiry": "12/39", "cvv": "123"}
    status, _ = call(
        base,
        "/api/v1/orders/checkout/",
        "wf-checkout",
        {"shipping_address": "1 Main St", "payment": payment},
        token,
    )
    assert status == 402
