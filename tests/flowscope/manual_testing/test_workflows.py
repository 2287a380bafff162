"""``test_workflow/``: the shop's four workflows (defined in the example's settings), run
step by step through the real shop, passing and failing at each step."""

import json
import re

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from flowscope.models import TestRun
from flowscope.testing import capture_traces
from shop.models import Cart, CartItem, Order
from tests.flowscope.manual_testing.conftest import MANUAL_TESTING, run_workflow
from tests.shop_data import ALICE_PASSWORD, DECLINED_CARD

URL = f"{MANUAL_TESTING}test_workflow/"
CHECKOUT_STEPS = ["log in", "find a product", "add it to the cart", "check out"]


def statuses(result):
    return [step["status_code"] for step in result["steps"]]


@pytest.mark.parametrize(
    "workflow, expected",
    [
        ("login", [200]),
        ("product_fetch", [200, 200]),
        ("cart_update", [200, 200, 201, 200]),
        ("checkout", [200, 200, 201, 201]),
    ],
)
def test_each_shop_workflow_passes_with_its_defaults(staff_client, shop, workflow, expected):
    with capture_traces() as traces:
        result = run_workflow(staff_client, workflow)
    assert result["passed"] is True, result
    assert (result["workflow"], statuses(result)) == (workflow, expected)
    assert all(step["passed"] and not step["skipped"] for step in result["steps"])
    assert result["total_time_ms"] >= sum(step["response_time_ms"] for step in result["steps"])
    # One workflow: every request under the run's correlation ID and type; the last one
    # completes it.
    assert {trace.correlation_id for trace in traces} == {result["correlation_id"]}
    assert {trace.workflow_type for trace in traces} == {workflow}
    assert [trace.complete for trace in traces][-1] is True
    run = TestRun.objects.get(pk=result["test_run_id"])
    assert (run.kind, run.passed, run.request) == (
        "workflow",
        True,
        {"workflow": workflow, "params": {}},
    )


def test_checkout_buys_the_first_product_and_keeps_no_secret(staff_client, shop):
    with capture_traces() as traces:
        result = run_workflow(staff_client, "checkout", quantity=2)
    assert result["passed"] is True
    add_to_cart, checkout = traces[2].root.metadata, traces[3].root.metadata
    assert add_to_cart["request_body"] == {"product_id": shop.novel.pk, "quantity": 2}
    assert (checkout["path"], checkout["status_code"]) == ("/api/v1/orders/checkout/", 201)
    assert not Order.objects.exists()  # the run's order is rolled back (test_rollback.py)
    assert result["steps"][2]["path"] == "/api/v1/cart/items/"
    stored = TestRun.objects.get(pk=result["test_run_id"])
    text = json.dumps([stored.request, stored.result, result])
    assert ALICE_PASSWORD not in text
    assert not re.search(r"[0-9a-f]{40}", text)  # the login's token (rolled back since)
    assert not Token.objects.exists()


def test_cart_update_changes_the_line_it_added(staff_client, shop):
    with capture_traces() as traces:
        result = run_workflow(staff_client, "cart_update", product="Trowel", new_quantity=3)
    assert result["passed"] is True
    added, changed = traces[2].root.metadata, traces[3].root.metadata
    assert added["request_body"] == {"product_id": shop.trowel.pk, "quantity": 1}
    assert re.fullmatch(r"/api/v1/cart/items/\d+/", result["steps"][3]["path"])
    assert (changed["path"], changed["request_body"]) == (
        result["steps"][3]["path"],
        {"quantity": 3},
    )
    assert not CartItem.objects.exists()  # rolled back with the run


def out_of_stock_at_checkout(shop):
    """Alice's cart holds all three trowels, then someone else buys two."""
    CartItem.objects.create(
        cart=Cart.objects.create(user=shop.alice), product=shop.trowel, quantity=3
    )
    type(shop.trowel).objects.filter(pk=shop.trowel.pk).update(stock=1)


@pytest.mark.parametrize(
    "params, failed_step, status, error",
    [
        ({"password": "not-her-password"}, 0, 401, "Invalid username or password."),
        ({"product": "no such product"}, 1, 200, "Found nothing at 'results.0.id'"),
        ({"product": "Trowel", "quantity": 5}, 2, 400, "Expected 201, got 400: Invalid input."),
        ({"card_number": DECLINED_CARD}, 3, 402, "The card was declined by its issuer."),
        ({"stock_runs_out": True}, 3, 409, "Some items are no longer in stock."),
    ],
    ids=["wrong password", "no product", "more than in stock", "declined card", "sold out"],
)
def test_a_failing_step_stops_the_run(staff_client, shop, params, failed_step, status, error):
    if params.pop("stock_runs_out", False):
        out_of_stock_at_checkout(shop)
    result = run_workflow(staff_client, "checkout", **params)
    assert result["passed"] is False
    steps = result["steps"]
    assert [step["name"] for step in steps] == CHECKOUT_STEPS
    assert all(step["passed"] for step in steps[:failed_step])
    failed = steps[failed_step]
    assert (failed["passed"], failed["skipped"], failed["status_code"]) == (False, False, status)
    assert error in failed["error"]
    for skipped in steps[failed_step + 1 :]:
        assert (skipped["skipped"], skipped["passed"], skipped["status_code"]) == (
            True,
            False,
            None,
        )
    assert not Order.objects.exists()  # a failed payment or stock check rolls back
    assert TestRun.objects.get(pk=result["test_run_id"]).passed is False


def test_the_last_step_of_a_failed_run_does_not_complete_it(staff_client, shop):
    with capture_traces() as traces:
        run_workflow(staff_client, "checkout", card_number=DECLINED_CARD)
    assert len(traces) == 4
    assert not traces[-1].complete
    assert traces[-1].root.metadata["status_code"] == 402


def test_unknown_workflows_and_parameters_are_refused(staff_client, shop):
    response = staff_client.post(URL, {"workflow": "teleport"}, format="json")
    assert response.status_code == 400
    assert (
        "configured: cart_update, checkout, login, product_fetch"
        in (response.json()["errors"]["workflow"][0])
    )
    response = staff_client.post(
        URL, {"workflow": "login", "params": {"passwort": "x"}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["params"] == [
        "Unknown: passwort; login takes password, username."
    ]
    assert not TestRun.objects.exists()


ORDERS = {
    "description": "Sign in and list the orders.",
    "params": {"username": "alice", "password": ALICE_PASSWORD, "page_size": 5},
    "steps": [
        {
            "name": "log in",
            "method": "POST",
            "path": "/api/v1/auth/login/",
            "body": {"username": "{username}", "password": "{password}"},
            "extract": {"token": "token"},
        },
        {
            "name": "list orders",
            "method": "GET",
            "path": "/api/v1/orders/",
            "headers": {"Authorization": "Token {token}"},
            "query": {"page_size": "{page_size}"},
            "expected_status": [200, 204],
        },
    ],
}


def test_a_project_defines_its_own_workflows(staff_client, shop, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WORKFLOW_DEFINITIONS": {"orders": ORDERS}}
    with capture_traces() as traces:
        result = run_workflow(staff_client, "orders")
    assert result["passed"] is True
    assert result["steps"][1]["expected_status"] == [200, 204]
    assert traces[1].root.metadata["query"] == {"page_size": "5"}
    assert traces[1].workflow_type == "orders"


def test_definitions_may_live_in_a_json_file(staff_client, shop, settings, tmp_path):
    file = tmp_path / "workflows.json"
    file.write_text(json.dumps({"orders": ORDERS}))
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WORKFLOW_DEFINITIONS": str(file)}
    assert run_workflow(staff_client, "orders")["passed"] is True
    listed = staff_client.get(f"{MANUAL_TESTING}workflows/").json()["results"]
    assert [workflow["name"] for workflow in listed] == ["orders"]


def test_a_parameter_cannot_make_a_step_unsafe(staff_client, shop, settings):
    product = {
        "params": {"pk": "1"},
        "steps": [{"method": "GET", "path": "/api/v1/products/{pk}/"}],
    }
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WORKFLOW_DEFINITIONS": {"product": product}}
    with capture_traces() as traces:
        result = run_workflow(staff_client, "product", pk="../../../admin")
    (step,) = result["steps"]
    assert step["path"] == "/api/v1/products/{pk}/"
    assert ". or .." in step["error"]
    assert traces == []


def test_broken_definitions_are_a_server_error_that_says_why(staff_client, shop, settings):
    broken = {"params": {}, "steps": [{"method": "GET", "path": "/api/v1/products/{typo}/"}]}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WORKFLOW_DEFINITIONS": {"broken": broken}}
    response = staff_client.post(URL, {"workflow": "broken"}, format="json")
    assert response.status_code == 500
    assert response.json()["code"] == "workflow_definitions_invalid"
    assert "['typo']" in response.json()["detail"]


def test_the_workflows_listing_masks_secret_defaults(staff_client, shop):
    listed = {
        w["name"]: w for w in staff_client.get(f"{MANUAL_TESTING}workflows/").json()["results"]
    }
    assert set(listed) == {"login", "product_fetch", "cart_update", "checkout"}
    checkout = listed["checkout"]
    assert checkout["params"]["password"] == "[Filtered]"
    assert checkout["params"]["card_number"] == "[Filtered]"
    assert checkout["params"]["quantity"] == 1
    assert [step["name"] for step in checkout["steps"]] == CHECKOUT_STEPS


def test_a_project_with_atomic_requests(staff_client, shop, settings, monkeypatch):
    """The dashboard request holds no transaction that the tested requests, writing on
    connections of their own, would have to wait for (SQLite's write lock)."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MANUAL_TESTING_TIMEOUT_MS": 3000}
    assert run_workflow(staff_client, "cart_update")["passed"] is True


def test_a_run_may_come_under_a_correlation_id_chosen_beforehand(staff_client, shop):
    """The console picks the ID first, so that it can watch the trace as the run goes."""
    chosen = "0123456789abcdef0123456789abcdef"
    with capture_traces() as traces:
        result = staff_client.post(
            URL, {"workflow": "login", "correlation_id": chosen}, format="json"
        ).json()
    assert result["correlation_id"] == chosen
    assert {trace.correlation_id for trace in traces} == {chosen}


@pytest.mark.parametrize("given", ["not-hex", "ABCDEF0123456789ABCDEF0123456789", 42])
def test_a_chosen_correlation_id_must_be_32_lowercase_hex(staff_client, shop, given):
    response = staff_client.post(URL, {"workflow": "login", "correlation_id": given}, format="json")
    assert response.status_code == 400
    assert "correlation_id" in response.json()["errors"]


def test_a_chosen_correlation_id_must_be_new(staff_client, shop):
    from flowscope.recording import writer
    from tests.flowscope.factories import make_trace

    writer.write([make_trace("fedcba9876543210fedcba9876543210")])
    response = staff_client.post(
        URL,
        {"workflow": "login", "correlation_id": "fedcba9876543210fedcba9876543210"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["correlation_id"] == [
        "Already used by a workflow; choose anew."
    ]
