"""Replay a captured workflow and diff the replay against it: the shop's real traffic,
sent by the simulator's browser to a live server, replayed in-process (synthetic, rolled
back) and read back from the store."""

import time

import pytest
from rest_framework.response import Response

from flowscope.manual_testing import id_links
from flowscope.models import WorkflowSession
from shop import payments
from shop.models import CartItem, Order, Product
from shop.simulation import scenarios
from shop.simulation.browser import Browser
from shop.views.products import RelatedProductsView
from tests.shop_data import ALICE_PASSWORD, DECLINED_CARD, VALID_CARD, buy, sign_in

WORKFLOWS = "/api/v1/debugging/workflows/"
ALICE_IDENTITY = {"password": ALICE_PASSWORD, "authorization": "Token {token}", "cvv": "123"}


@pytest.fixture(autouse=True)
def _instant_gateway(settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}


@pytest.fixture
def alice_identity(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REPLAY_VALUES": ALICE_IDENTITY}


def captured(recorder, correlation_id):
    assert recorder.flush(10)
    return WorkflowSession.objects.get(correlation_id=correlation_id)


def replayed(client, correlation_id, values=None):
    response = client.post(
        f"{WORKFLOWS}{correlation_id}/replay/", {"values": values or {}}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def replay_diff(client, recorder, replay):
    """The diff, once every request the replay sent is stored."""
    deadline = time.monotonic() + 30
    while True:
        assert recorder.flush(10)
        response = client.get(f"{WORKFLOWS}{replay['correlation_id']}/replay-diff/")
        assert response.status_code == 200, response.json()
        if response.json()["requests_stored"] >= replay["sent"]:
            return response.json()
        assert time.monotonic() < deadline, response.json()
        time.sleep(0.1)


def row(diff, name):
    return next(r for r in diff["steps"] if r["name"] == name)


def declined_checkout(live_server, recorder, product):
    browser = Browser(live_server.url, "checkout", correlation_id="wf-declined")
    assert buy(browser, product, DECLINED_CARD).status == 402
    return captured(recorder, "wf-declined")


def test_the_plan_lists_what_was_masked_and_what_is_configured(
    live_server, staff_client, real_recorder, novel, alice, alice_identity
):
    declined_checkout(live_server, real_recorder, novel)
    plan = staff_client.get(f"{WORKFLOWS}wf-declined/replay/").json()
    assert [r["name"] for r in plan["requests"]] == [
        "POST /api/v1/auth/login/",
        "POST /api/v1/cart/items/",
        "POST /api/v1/orders/checkout/",
    ]
    masked = {(f["name"], f["where"]): f["configured"] for f in plan["masked"]}
    assert masked == {
        ("password", "body"): True,
        ("authorization", "header"): True,
        ("card_number", "body"): False,
        ("cvv", "body"): True,
    }
    assert DECLINED_CARD not in str(plan) and ALICE_PASSWORD not in str(plan)


def test_a_declined_checkout_replayed_with_its_card_shows_the_declined_payment(
    live_server, staff_client, real_recorder, novel, alice, alice_identity, monkeypatch
):
    original = declined_checkout(live_server, real_recorder, novel)
    monkeypatch.setattr(payments, "send_to_gateway", pytest.fail)  # never for real
    stock = Product.objects.get(pk=novel.pk).stock

    replay = replayed(staff_client, "wf-declined", {"card_number": DECLINED_CARD})
    assert [r["status_code"] for r in replay["requests"]] == [200, 201, 402]
    assert replay["sent"] == 3
    diff = replay_diff(staff_client, real_recorder, replay)

    new = WorkflowSession.objects.get(correlation_id=replay["correlation_id"])
    assert new.metadata["synthetic"] is True and new.metadata["replay_of"] == "wf-declined"
    assert (new.workflow_type, new.status) == (original.workflow_type, "failed")
    assert diff["status"] == {"original": "failed", "replay": "failed"}
    payment = row(diff, "payment_gateway.charge")
    assert payment["change"] == "same" and payment["layer"] == "external"
    assert payment["original"]["status"] == payment["replay"]["status"] == "error"
    assert "declined" in payment["replay"]["error"]
    checkout = row(diff, "POST /api/v1/orders/checkout/")
    assert checkout["original"]["status_code"] == checkout["replay"]["status_code"] == 402
    assert checkout["payload"]["compared"] is True  # error answers are stored: shapes match
    assert diff["browser_steps_left_out"] == 0
    assert {"api", "database", "external"} <= set(diff["time_per_layer"])
    assert not Order.objects.exists() and Product.objects.get(pk=novel.pk).stock == stock


def test_replayed_with_the_configured_card_the_checkout_succeeds_and_the_diff_says_so(
    live_server, staff_client, real_recorder, novel, alice, settings
):
    declined_checkout(live_server, real_recorder, novel)
    identity = {**ALICE_IDENTITY, "card_number": payments.VALID_CARD_NUMBER}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REPLAY_VALUES": identity}
    diff = replay_diff(staff_client, real_recorder, replayed(staff_client, "wf-declined"))
    checkout = row(diff, "POST /api/v1/orders/checkout/")
    assert checkout["change"] == "changed" and checkout["status_changed"] is True
    assert (checkout["original"]["status_code"], checkout["replay"]["status_code"]) == (402, 201)
    assert checkout["payload"]["compared"] is False  # a 201's body is not stored by default
    assert "status only" in checkout["payload"]["note"]
    assert row(diff, "payment_gateway.charge")["replay"]["status"] == "ok"
    assert checkout["queries"]["added"]  # the order and its lines, written this time
    assert not Order.objects.exists()


def test_a_masked_value_nothing_supplies_is_refused_before_anything_is_sent(
    live_server, staff_client, real_recorder, novel, alice, settings
):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REPLAY_VALUES": {}}
    declined_checkout(live_server, real_recorder, novel)
    before = WorkflowSession.objects.count()
    response = staff_client.post(
        f"{WORKFLOWS}wf-declined/replay/", {"values": {"cvv": "1"}}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]["values"]) == {"password", "card_number"}
    assert WorkflowSession.objects.count() == before


def change_and_reread(live_server, recorder, product, settings):
    """Alice puts a book in her cart, takes two instead, pays and reads her new order back:
    the cart line's id and the order's, each named by a later request. Every answer is
    stored, so that the replay can read the ids out of them."""
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "CAPTURE_RESPONSE_BODIES": "all"}
    browser = Browser(live_server.url, "checkout", correlation_id="wf-reread")
    sign_in(browser)
    cart = browser.call("POST", "/api/v1/cart/items/", {"product_id": product.pk, "quantity": 1})
    (line,) = cart.body["items"]
    changed = browser.call("PATCH", f"/api/v1/cart/items/{line['id']}/", {"quantity": 2})
    assert changed.status == 200, changed
    order = scenarios.checkout(browser, VALID_CARD)
    assert order.status == 201, order
    assert browser.call("GET", f"/api/v1/orders/{order.body['id']}/").status == 200
    captured(recorder, "wf-reread")
    # As on a fresh database: the rows the capture created are gone (the checkout emptied
    # the cart), and the replay's rows get ids of their own.
    Order.objects.all().delete()
    assert not CartItem.objects.exists()
    return line["id"], order.body["id"]


def test_ids_the_replay_created_are_the_ones_its_later_requests_name(
    live_server, staff_client, real_recorder, novel, alice, alice_identity, settings
):
    item_id, order_id = change_and_reread(live_server, real_recorder, novel, settings)
    replay = replayed(staff_client, "wf-reread", {"card_number": VALID_CARD})
    assert [r["status_code"] for r in replay["requests"]] == [200, 201, 200, 201, 200]
    _, _, change, checkout, reread = replay["requests"]
    (item,) = change["linked"]
    assert item["note"] == ("path /api/v1/cart/items/{items[0].id}/ uses the id of step 2's answer")
    assert (item["value"], item["field"]) == (str(item_id), "items[0].id")
    assert item["sent"] != item_id  # the replay's own cart line
    (order,) = reread["linked"]
    assert order["note"] == "path /api/v1/orders/{id}/ uses the id of step 4's answer"
    assert order["value"] == str(order_id) and order["sent"] != order_id
    assert checkout["linked"] == []
    assert not Order.objects.exists()  # rolled back


def test_without_its_ids_linked_the_replay_would_name_the_captured_rows(
    live_server, staff_client, real_recorder, novel, alice, alice_identity, settings, monkeypatch
):
    change_and_reread(live_server, real_recorder, novel, settings)
    monkeypatch.setattr(id_links, "links_of", lambda requests: [[] for _ in requests])
    replay = replayed(staff_client, "wf-reread", {"card_number": VALID_CARD})
    assert [r["status_code"] for r in replay["requests"]] == [200, 201, 404, 201, 404]


def fixed_related_products(self, request, pk):
    """The shop's RelatedProductsView.get with the N+1 fixed: categories joined."""
    product = Product.objects.filter(pk=pk).first()
    related = Product.objects.filter(category_id=product.category_id).exclude(pk=pk)
    results = [
        {"id": p.id, "name": p.name, "price": f"{p.price:.2f}", "category": p.category.name}
        for p in related.select_related("category")[: self.limit]
    ]
    return Response({"product_id": pk, "results": results})


def test_after_the_n_plus_one_is_fixed_the_replay_shows_the_query_count_fall(
    live_server, staff_client, real_recorder, catalogue, monkeypatch
):
    product = catalogue[0]
    browser = Browser(live_server.url, "product_fetch", correlation_id="wf-related")
    browser.call("GET", f"/api/v1/products/{product.pk}/related/", complete=True)
    captured(real_recorder, "wf-related")

    monkeypatch.setattr(RelatedProductsView, "get", fixed_related_products)
    diff = replay_diff(staff_client, real_recorder, replayed(staff_client, "wf-related"))

    related = row(diff, "GET /api/v1/products/<int:pk>/related/")
    before, after = related["original"]["query_count"], related["replay"]["query_count"]
    assert after == before - RelatedProductsView.limit
    missing = related["queries"]["missing"]
    per_product = next(q for q in missing if q["count"] == RelatedProductsView.limit)
    assert "shop_category" in per_product["sql"].split("FROM")[1]  # a category a product: gone
    (joined,) = related["queries"]["added"]
    assert "INNER JOIN" in joined["sql"] and joined["count"] == 1
    assert diff["summary"]["queries"] == {"original": before, "replay": after}


def test_the_diff_says_whether_the_replay_still_runs_a_recommended_query(
    live_server, staff_client, real_recorder, catalogue, monkeypatch
):
    browser = Browser(live_server.url, "product_fetch", correlation_id="wf-related")
    browser.call("GET", f"/api/v1/products/{catalogue[0].pk}/related/", complete=True)
    captured(real_recorder, "wf-related")
    steps = WorkflowSession.objects.get(correlation_id="wf-related").steps
    (flagged,) = steps.get(layer="api").metadata["n_plus_one"]

    def verdict():
        replay = replay_diff(staff_client, real_recorder, replayed(staff_client, "wf-related"))
        response = staff_client.get(
            f"{WORKFLOWS}{replay['replay']}/replay-diff/", {"query": flagged["sql"]}
        )
        return response.json()["query"]

    still = verdict()
    assert still["verdict"] == "still there" and still["replay"] == flagged["count"]
    monkeypatch.setattr(RelatedProductsView, "get", fixed_related_products)
    assert verdict() == {**still, "replay": 0, "verdict": "gone"}


def test_a_workflow_that_is_no_replay_has_no_replay_diff(live_server, staff_client, real_recorder):
    Browser(live_server.url, correlation_id="wf-plain").call("GET", "/api/v1/products/")
    captured(real_recorder, "wf-plain")
    response = staff_client.get(f"{WORKFLOWS}wf-plain/replay-diff/")
    assert response.status_code == 404 and "not a replay" in response.json()["detail"]


def test_replay_is_staff_only(live_server, customer_client, real_recorder):
    Browser(live_server.url, correlation_id="wf-plain").call("GET", "/api/v1/products/")
    captured(real_recorder, "wf-plain")
    replay = f"{WORKFLOWS}wf-plain/replay/"
    assert customer_client.post(replay, {}, format="json").status_code == 403
    assert customer_client.get(replay).status_code == 403


def test_a_workflows_earlier_replays_are_listed_newest_first_each_opening_its_diff(
    live_server, staff_client, real_recorder, novel, alice, settings
):
    declined_checkout(live_server, real_recorder, novel)
    identity = {**ALICE_IDENTITY, "card_number": payments.VALID_CARD_NUMBER}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REPLAY_VALUES": identity}
    declined = replayed(staff_client, "wf-declined", {"card_number": DECLINED_CARD})
    replay_diff(staff_client, real_recorder, declined)
    paid = replayed(staff_client, "wf-declined")
    replay_diff(staff_client, real_recorder, paid)

    history = staff_client.get(f"{WORKFLOWS}wf-declined/replays/")
    assert history.status_code == 200
    body = history.json()
    assert (body["original"], body["count"]) == ("wf-declined", 2)
    newest, earliest = body["results"]
    assert newest["correlation_id"] == paid["correlation_id"]
    assert earliest["correlation_id"] == declined["correlation_id"]
    assert newest["started_at"] >= earliest["started_at"]
    assert (newest["status"], earliest["status"]) == ("completed", "failed")
    assert newest["replayed_by"] == earliest["replayed_by"] == "ops"  # the staff user
    assert newest["request_count"] == 3 and earliest["error_count"] >= 1
    diff = staff_client.get(earliest["diff_url"]).json()
    assert (diff["original"], diff["replay"]) == ("wf-declined", declined["correlation_id"])
    assert row(diff, "payment_gateway.charge")["replay"]["status"] == "error"
    # A replay is no original of its own, and a workflow never replayed has none.
    replays_of_replay = staff_client.get(f"{WORKFLOWS}{paid['correlation_id']}/replays/")
    assert replays_of_replay.json() == {
        "original": paid["correlation_id"],
        "count": 0,
        "results": [],
    }


def test_the_replay_history_is_staff_only_and_in_the_schema(
    live_server, staff_client, customer_client, real_recorder
):
    Browser(live_server.url, correlation_id="wf-plain").call("GET", "/api/v1/products/")
    captured(real_recorder, "wf-plain")
    history = f"{WORKFLOWS}wf-plain/replays/"
    assert customer_client.get(history).status_code == 403
    assert staff_client.get(f"{WORKFLOWS}wf-unknown/replays/").status_code == 404
    assert staff_client.get(history).json()["count"] == 0
    schema = staff_client.get("/debugging/schema/", {"format": "json"}).json()
    answer = schema["paths"]["/debugging/workflows/{correlation_id}/replays/"]["get"]
    assert "200" in answer["responses"] and "404" in answer["responses"]
