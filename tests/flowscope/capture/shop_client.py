"""A shop customer over real HTTP: every request of one workflow under one correlation ID."""

import json
import urllib.error
import urllib.request

DECLINED = "4000000000000002"
PASSWORD = "alice-real-Passw0rd!"


class Browser:
    """A client that sends every request of one workflow under one correlation ID."""

    def __init__(self, base, correlation_id, workflow_type=""):
        self.base, self.token = base, None
        self.headers = {"X-Correlation-ID": correlation_id, "Content-Type": "application/json"}
        if workflow_type:
            self.headers["X-Workflow-Type"] = workflow_type

    def call(self, method, path, body=None, **headers):
        headers = {**self.headers, **headers}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")

    def login(self):
        status, body = self.call(
            "POST", "/api/v1/auth/login/", {"username": "alice", "password": PASSWORD}
        )
        assert status == 200
        self.token = body["token"]


def checkout(browser, product, card):
    browser.login()
    browser.call("POST", "/api/v1/cart/items/", {"product_id": product.pk, "quantity": 1})
    return browser.call(
        "POST",
        "/api/v1/orders/checkout/",
        {
            "shipping_address": "1 Main St",
            "payment": {"card_number": card, "expiry": "12/39", "cvv": "123"},
        },
    )
