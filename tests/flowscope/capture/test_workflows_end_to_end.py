"""The shop's four workflows over real HTTP, each under one correlation ID, recorded by the
real recorder into the real database."""

import urllib.request

from flowscope.models import ErrorLog, TraceStep, WorkflowSession
from shop.simulation.browser import Browser
from tests.shop_data import DECLINED_CARD, VALID_CARD, buy, sign_in


def recorded(recorder, correlation_id):
    assert recorder.flush(10)
    workflow = WorkflowSession.objects.get(correlation_id=correlation_id)
    return workflow, list(workflow.steps.all())


def assert_tree(steps):
    """Every step hangs under a step of the same workflow; API steps are the roots."""
    by_span = {step.span_id: step for step in steps}
    for step in steps:
        if step.layer == "api":
            assert step.parent_span_id not in by_span
        else:
            assert step.parent_span_id in by_span, step


def test_login_workflow(live_server, shop, real_recorder):
    sign_in(Browser(live_server.url, correlation_id="wf-login"))
    workflow, steps = recorded(real_recorder, "wf-login")
    assert (workflow.workflow_type, workflow.status) == ("login", "completed")
    assert steps[0].name == "POST /api/v1/auth/login/"
    assert {s.layer for s in steps} == {"api", "database"}
    assert_tree(steps)


def test_product_fetch_workflow_uses_database_and_cache(live_server, shop, real_recorder):
    browser = Browser(live_server.url, correlation_id="wf-products")
    browser.call("GET", "/api/v1/products/")
    browser.call("GET", f"/api/v1/products/{shop[0].pk}/")
    browser.call("GET", f"/api/v1/products/{shop[0].pk}/", complete=True)
    workflow, steps = recorded(real_recorder, "wf-products")
    assert (workflow.workflow_type, workflow.status, workflow.request_count) == (
        "product_fetch",
        "completed",
        3,
    )
    api = [s for s in steps if s.layer == "api"]
    assert [s.name for s in api] == [
        "GET /api/v1/products/",
        "GET /api/v1/products/<int:pk>/",
        "GET /api/v1/products/<int:pk>/",
    ]
    gets = [
        s
        for s in steps
        if s.name == "cache.get" and s.metadata["key"].startswith("catalog:product:")
    ]
    assert [s.metadata["hit"] for s in gets] == [False, True]
    second_detail = [s for s in steps if s.parent_span_id == api[2].span_id]
    assert [s.layer for s in second_detail] == ["cache"]  # served from the cache alone
    assert_tree(steps)
    assert workflow.step_count == len(steps)


def test_cart_update_workflow(live_server, shop, real_recorder):
    browser = Browser(live_server.url, "cart_update", correlation_id="wf-cart")
    sign_in(browser)
    cart = browser.call("POST", "/api/v1/cart/items/", {"product_id": shop[1].pk, "quantity": 2})
    assert cart.status == 201
    item = cart.body["items"][0]["id"]
    browser.call("PATCH", f"/api/v1/cart/items/{item}/", {"quantity": 3}, complete=True)
    workflow, steps = recorded(real_recorder, "wf-cart")
    assert (workflow.workflow_type, workflow.status, workflow.error_count) == (
        "cart_update",
        "completed",
        0,
    )
    assert workflow.user.username == "alice"  # from the token, once authenticated
    assert "PATCH /api/v1/cart/items/<int:item_id>/" in {s.name for s in steps}
    assert_tree(steps)


def test_checkout_workflow_spans_every_layer(live_server, shop, real_recorder):
    browser = Browser(live_server.url, "checkout", correlation_id="wf-checkout")
    assert buy(browser, shop[2], VALID_CARD).status == 201
    workflow, steps = recorded(real_recorder, "wf-checkout")
    assert (workflow.workflow_type, workflow.status) == ("checkout", "completed")
    assert workflow.duration_ms > 0
    assert {s.layer for s in steps} == {"api", "database", "cache", "external", "custom"}
    (payment,) = [s for s in steps if s.layer == "external"]
    checkout_step = next(s for s in steps if s.name == "POST /api/v1/orders/checkout/")
    placing = next(s for s in steps if s.name == "checkout.place_order")
    assert payment.name == "payment_gateway.charge"
    assert payment.parent_span_id == placing.span_id  # the shop's own step, in the request
    assert placing.parent_span_id == checkout_step.span_id
    assert payment.metadata == {"amount": placing.metadata["order_total"]}
    assert payment.duration_ms >= 5
    assert_tree(steps)


def test_declined_checkouts_fail_and_group_by_fingerprint(live_server, shop, real_recorder):
    for correlation_id in ("wf-declined-1", "wf-declined-2"):
        browser = Browser(live_server.url, "checkout", correlation_id=correlation_id)
        answer = buy(browser, shop[0], DECLINED_CARD)
        assert (answer.status, answer.body["code"]) == (402, "payment_declined")
    first, _steps = recorded(real_recorder, "wf-declined-1")
    assert first.status == "failed"
    assert first.error_count == 1
    errors = ErrorLog.objects.filter(workflow__correlation_id__startswith="wf-declined")
    assert errors.count() == 2
    assert len({e.fingerprint for e in errors}) == 1
    error = errors.filter(workflow=first).get()
    assert error.error_type == "HTTP 402"
    assert error.message == "402 Payment Required: The card was declined by its issuer."
    assert error.step.name == "POST /api/v1/orders/checkout/"
    payment = TraceStep.objects.get(workflow=first, layer="external")
    assert payment.status == "error"
    assert "PaymentDeclined" in payment.metadata["error"]


def test_requests_outside_workflows_are_request_traces(live_server, shop, real_recorder):
    """The storefront's page, fetched with no correlation ID, is a request trace ended at
    once; the same page fetched with one may still begin a workflow."""
    with urllib.request.urlopen(f"{live_server.url}/shop/", timeout=30) as response:
        cid = response.headers["X-Correlation-ID"]
    trace, steps = recorded(real_recorder, cid)
    assert (trace.kind, trace.status, trace.request_count) == ("request", "completed", 1)
    assert trace.duration_ms == trace.recorded_ms > 0
    assert steps[0].name == "GET /shop/"
    given = urllib.request.Request(f"{live_server.url}/shop/", headers={"X-Correlation-ID": "pg-1"})
    urllib.request.urlopen(given, timeout=30).close()
    workflow, _ = recorded(real_recorder, "pg-1")
    assert (workflow.kind, workflow.status) == ("workflow", "in_progress")
