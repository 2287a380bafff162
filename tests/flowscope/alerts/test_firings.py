"""Each kind of rule fires on recorded traces, once per subject past its threshold, and
says the value that fired, in its unit."""

from statistics import mean

import pytest

from flowscope.alerts.evaluation import Evaluator
from flowscope.models import AlertEvent
from flowscope.percentiles import percentile
from flowscope.records.trace import now
from tests.flowscope.alerts.conftest import record
from tests.flowscope.factories import make_error, make_trace

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTS = "GET /api/v1/products/"


def evaluate(batches, evaluator=None):
    evaluator = evaluator or Evaluator()
    for batch in batches:
        evaluator(batch)
    batches.clear()
    return list(AlertEvent.objects.order_by("id"))


def requests(name, durations, failed=0):
    return [
        make_trace(
            f"wf-{name}-{n}", name=name, duration_ms=ms, status="error" if n < failed else "ok"
        )
        for n, ms in enumerate(durations)
    ]


def test_a_p95_rule_fires_on_the_routes_p95_never_its_average(committed, alert_settings):
    alert_settings(ALERT_RULES=[{"name": "slow", "kind": "p95", "above": 1000}])
    durations = [120.0] * 17 + [1840.0, 1900.0, 2400.0]
    record([*requests(PRODUCTS, durations), *requests("GET /api/v1/cart/", [90.0] * 20)])
    [alert] = evaluate(committed)
    p95 = percentile(sorted(durations), 0.95)
    assert alert.value == p95 != mean(durations)
    assert alert.message == f"p95 {p95:,.0f} ms over 1,000 ms on {PRODUCTS} (1 min, 20 requests)"
    assert (alert.rule, alert.kind, alert.subject, alert.unit) == ("slow", "p95", PRODUCTS, "ms")
    assert alert.details["count"] == 20


def test_a_p95_rule_waits_for_its_fewest_requests_and_watches_only_its_routes(
    committed, alert_settings
):
    alert_settings(
        ALERT_RULES=[
            {"name": "few", "kind": "p95", "above": 1000, "min_count": 5},
            {"name": "cart-only", "kind": "p95", "above": 1000, "components": ["GET /c/"]},
        ]
    )
    record(requests(PRODUCTS, [3000.0] * 4))
    assert evaluate(committed) == []


def test_an_error_rate_rule_fires_as_a_percentage(committed, alert_settings):
    alert_settings(ALERT_RULES=[{"name": "errors", "kind": "error_rate", "above": 0.2}])
    record(requests("POST /api/v1/checkout/", [50.0] * 20, failed=5))
    [alert] = evaluate(committed)
    assert alert.value == 0.25
    assert alert.unit == "ratio"
    assert alert.message == (
        "error rate 25 % over 20 % on POST /api/v1/checkout/ (1 min, 20 requests)"
    )


def test_a_new_error_group_fires_once_the_first_time_it_is_seen(committed, alert_settings):
    alert_settings(ALERT_RULES=[{"name": "new", "kind": "new_error_group"}])
    declined = make_error("card declined", error_type="PaymentDeclined")
    record([make_trace("wf-a", errors=[declined])])
    [alert] = evaluate(committed)
    assert alert.message == "New error: PaymentDeclined: card declined (api, 1 occurrence)"
    assert alert.details["error_type"] == "PaymentDeclined"

    again = make_error("card declined", error_type="PaymentDeclined")
    other = make_error("stock gone", error_type="OutOfStock")
    record([make_trace("wf-b", errors=[again]), make_trace("wf-c", errors=[other])])
    alerts = evaluate(committed)
    assert [a.details["error_type"] for a in alerts] == ["PaymentDeclined", "OutOfStock"]
    assert alerts[0].repeats == 0  # seen before: not a firing at all


def test_a_workflow_failure_rate_rule_counts_the_types_workflows_ended_in_its_window(
    committed, alert_settings
):
    alert_settings(
        ALERT_RULES=[{"name": "checkouts", "kind": "workflow_failure_rate", "above": 0.2}]
    )
    at = now()
    completed = [
        make_trace(f"ok-{n}", at=at, workflow_type="checkout", complete=True) for n in range(3)
    ]
    failed = [
        make_trace(f"ko-{n}", at=at, workflow_type="checkout", errors=[make_error()])
        for n in range(2)
    ]
    unrelated = [make_trace(f"x-{n}", at=at, errors=[make_error()]) for n in range(5)]  # unknown
    record([*completed, *failed, *unrelated])
    [alert] = evaluate(committed)
    assert (alert.subject, alert.value) == ("checkout", 0.4)
    assert (
        alert.message
        == "checkout workflows failing: 40 % over 20 % (2 of 5 workflows ended in 5 min)"
    )


def test_manual_test_runs_and_requests_outside_workflows_fire_nothing(committed, alert_settings):
    alert_settings(
        ALERT_RULES=[
            {"name": "slow", "kind": "p95", "above": 1000},
            {"name": "any", "kind": "workflow_failure_rate", "above": 0.2},
            {
                "name": "untyped",
                "kind": "workflow_failure_rate",
                "above": 0.2,
                "workflow_types": ["unknown"],
            },
        ]
    )
    at = now()
    runs = [
        make_trace(f"run-{n}", at=at, duration_ms=5000, workflow_type="checkout", status="error")
        for n in range(5)
    ]
    for run in runs:
        run.errors.append(make_error())
        run.workflow_metadata["synthetic"] = True  # as capture marks a manual test run
    outside = [
        make_trace(f"req-{n}", at=at, correlation_given=False, errors=[make_error()])
        for n in range(5)
    ]
    record([*runs, *outside])
    assert evaluate(committed) == []
