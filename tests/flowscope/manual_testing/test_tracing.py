"""A run's correlation ID leads to its complete trace: the tested requests are traced by the
real middleware and written by the real recorder, as real traffic is; rolling back what
the run wrote takes nothing of its trace."""

import threading

from flowscope.capture import context
from flowscope.manual_testing.dispatch import dispatch
from flowscope.manual_testing.environ import ManualRequest, Origin
from flowscope.models import InvariantCheck, TestRun, WorkflowSession
from flowscope.testing import capture_traces
from shop.models import Order
from tests.flowscope.factories import make_trace
from tests.flowscope.manual_testing.conftest import run_endpoint, run_workflow
from tests.shop_data import DECLINED_CARD

CHECKOUT_ROUTES = [
    "POST /api/v1/auth/login/",
    "GET /api/v1/products/",
    "POST /api/v1/cart/items/",
    "POST /api/v1/orders/checkout/",
]


def recorded(recorder, correlation_id):
    assert recorder.flush(10)
    workflow = WorkflowSession.objects.get(correlation_id=correlation_id)
    return workflow, list(workflow.steps.order_by("started_at", "id"))


def test_a_checkout_run_is_one_complete_workflow(staff_client, shop, real_recorder):
    result = run_workflow(staff_client, "checkout")
    assert result["passed"] is True
    assert not Order.objects.exists()  # rolled back, and yet:
    workflow, steps = recorded(real_recorder, result["correlation_id"])
    assert (workflow.workflow_type, workflow.status, workflow.request_count) == (
        "checkout",
        "completed",
        4,
    )
    assert workflow.user_id == shop.alice.pk
    assert workflow.metadata["user_agent"] == "flowscope-manual-test"
    api = [step for step in steps if step.layer == "api"]
    assert [step.name for step in api] == CHECKOUT_ROUTES
    assert {"api", "database", "cache", "external"} <= {step.layer for step in steps}
    checkout = api[-1]
    under = {checkout.span_id}
    for step in steps:  # in the order they started: a parent before its children
        if step.parent_span_id in under:
            under.add(step.span_id)
    layers_under = {step.layer for step in steps if step.span_id in under - {checkout.span_id}}
    assert {"database", "custom", "external"} <= layers_under  # the payment, in the checkout
    assert TestRun.objects.get(pk=result["test_run_id"]).correlation_id == workflow.correlation_id
    # A run from the dashboard is held to the shop's invariants too, and keeps them.
    assert InvariantCheck.objects.get(workflow=workflow).violated == []


def test_a_failed_run_is_a_failed_workflow(staff_client, shop, real_recorder):
    result = run_workflow(staff_client, "checkout", card_number=DECLINED_CARD)
    workflow, steps = recorded(real_recorder, result["correlation_id"])
    assert (workflow.status, workflow.request_count, workflow.error_count) == ("failed", 4, 1)
    checkout = [step for step in steps if step.layer == "api"][-1]
    assert (checkout.status, checkout.metadata["status_code"]) == ("error", 402)
    payment = next(step for step in steps if step.layer == "external")
    assert (payment.name, payment.status) == ("payment_gateway.charge", "error")
    assert workflow.errors.get().error_type == "HTTP 402"


def test_an_endpoint_test_is_traced_with_its_queries(staff_client, shop, real_recorder):
    result = run_endpoint(staff_client, method="GET", path=f"/api/v1/products/{shop.novel.pk}/")
    workflow, steps = recorded(real_recorder, result["correlation_id"])
    assert workflow.request_count == 1
    assert steps[0].name == "GET /api/v1/products/<int:pk>/"
    assert {"database", "cache"} <= {step.layer for step in steps}
    assert workflow.status == "completed" and workflow.ended_at is not None


def test_an_endpoint_test_answered_404_ends_its_workflow_too(staff_client, shop, real_recorder):
    result = run_endpoint(staff_client, method="GET", path="/api/v1/products/999999/")
    assert result["status_code"] == 404
    workflow, _ = recorded(real_recorder, result["correlation_id"])
    assert workflow.status == "completed" and workflow.duration_ms is not None
    assert not WorkflowSession.objects.filter(status="in_progress").exists()


def test_the_tested_request_does_not_join_the_callers_trace(shop):
    """Even when the caller is itself being traced, the tested request starts its own
    trace (a fresh context in its own thread) and nothing of it lands in the caller's."""
    caller = make_trace("the-dashboard-request")
    tokens = context.activate(caller)
    try:
        with capture_traces() as traces:
            response = dispatch(
                ManualRequest("GET", "/api/v1/products/"),
                Origin("testserver"),
                timeout_ms=5000,
                headers={"X-Correlation-ID": "the-tested-request"},
            )
    finally:
        context.deactivate(tokens)
    assert response.status_code == 200
    (trace,) = traces
    assert trace.correlation_id == "the-tested-request"
    assert trace.root.parent_span_id == ""
    assert caller.spans == [] and caller.query_count == 0
    assert threading.current_thread() is threading.main_thread()
