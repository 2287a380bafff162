"""A ``latency_budget`` rule fires for the layer of a budgeted workflow type whose p95 went
over its budget, naming the layer, with the values that fired and their unit."""

import pytest
from django.core import checks

from flowscope.records.trace import now
from tests.flowscope.alerts.conftest import record
from tests.flowscope.alerts.test_firings import evaluate
from tests.flowscope.factories import make_checkout

pytestmark = pytest.mark.django_db(transaction=True)

RULE = {"name": "budgets", "kind": "latency_budget"}
CHECKOUT_BUDGET = {"checkout": {"total_ms": 800, "layers": {"api": 250, "database": 100}}}


def checkouts(count, request_ms=400.0, query_ms=50.0, prefix="co"):
    """Checkouts of one request each, ``query_ms`` of it in a query."""
    at = now()
    return [make_checkout(f"{prefix}-{n}", at, request_ms, query_ms) for n in range(count)]


def test_the_layer_over_its_budget_is_named_with_its_p95_and_budget(committed, alert_settings):
    alert_settings(ALERT_RULES=[RULE], BUDGETS=CHECKOUT_BUDGET)
    record(checkouts(5))
    [alert] = evaluate(committed)
    # The request's own time is 400 - 50 ms; its queries' 50 ms and its 400 ms in all fit.
    assert (alert.kind, alert.subject, alert.unit) == ("latency_budget", "checkout:api", "ms")
    assert (alert.value, alert.threshold) == (350.0, 250.0)
    assert alert.message == (
        "checkout api over budget: p95 350 ms over 250 ms, 140 % used (15 min, 5 workflows)"
    )
    assert alert.details["layer"] == "api"
    assert alert.details["used_percent"] == 140.0


def test_the_total_over_budget_fires_on_its_own(committed, alert_settings):
    alert_settings(ALERT_RULES=[RULE], BUDGETS={"checkout": {"total_ms": 300}})
    record(checkouts(5))
    [alert] = evaluate(committed)
    assert alert.subject == "checkout:total"
    assert alert.message.startswith("checkout over budget: p95 400 ms over 300 ms, 133 % used")


def test_the_step_over_its_budget_is_named(committed, alert_settings):
    steps = {"SELECT cart": 40, "api: GET /api/v1/x/": 400, "payment.charge": 1}
    alert_settings(ALERT_RULES=[RULE], BUDGETS={"checkout": {"steps": steps}})
    record(checkouts(5))
    # Each checkout's query took 50 ms; its request 350 ms of its own; none paid.
    [alert] = evaluate(committed)
    assert (alert.subject, alert.value, alert.threshold) == ("checkout:SELECT cart", 50.0, 40.0)
    assert alert.message == (
        "checkout step SELECT cart over budget: p95 50 ms over 40 ms, 125 % used "
        "(15 min, 5 workflows)"
    )
    assert (alert.details["step"], alert.details["workflows"]) == ("SELECT cart", 5)
    assert "layer" not in alert.details


def test_within_budget_nothing_fires(committed, alert_settings):
    alert_settings(ALERT_RULES=[RULE], BUDGETS=CHECKOUT_BUDGET)
    record(checkouts(5, request_ms=200.0))
    assert evaluate(committed) == []


def test_too_few_workflows_or_no_budget_nothing_fires(committed, alert_settings):
    alert_settings(ALERT_RULES=[RULE], BUDGETS=CHECKOUT_BUDGET)
    record(checkouts(4, request_ms=900.0))  # min_count is 5
    assert evaluate(committed) == []
    alert_settings(BUDGETS={})
    record(checkouts(10, request_ms=900.0, prefix="unbudgeted"))
    assert evaluate(committed) == []


def test_a_budget_over_again_within_the_cooldown_counts_a_repeat(committed, alert_settings):
    alert_settings(ALERT_RULES=[RULE], BUDGETS=CHECKOUT_BUDGET)
    record(checkouts(5))
    [first] = evaluate(committed)
    record(checkouts(5, prefix="again"))
    [alert] = evaluate(committed)  # another process's evaluator: it checks at once
    assert alert.pk == first.pk
    alert.refresh_from_db()
    assert alert.repeats == 1


def budget_messages():
    return [m for m in checks.run_checks() if m.id in ("flowscope.E183", "flowscope.W183")]


def test_a_malformed_budget_is_a_check_error_naming_it(alert_settings):
    alert_settings(BUDGETS={"checkout": {"layers": {"db": 100}}})
    [error] = budget_messages()
    assert error.id == "flowscope.E183"
    assert "budget 'checkout': db not a layer" in error.msg


def test_a_budget_for_a_type_no_workflow_names_is_a_warning(alert_settings):
    alert_settings(
        WORKFLOWS={"checkout": {"routes": ["POST /api/v1/x/"]}},
        BUDGETS={"chekout": {"total_ms": 800}},
    )
    assert [m.id for m in budget_messages() if "'chekout'" in m.msg] == ["flowscope.W183"]


def test_a_step_budget_that_is_no_number_of_ms_is_a_check_error(alert_settings):
    alert_settings(BUDGETS={"checkout": {"steps": {"payment_gateway.charge": -200}}})
    [error] = budget_messages()
    assert error.id == "flowscope.E183"
    assert "steps['payment_gateway.charge'] must be a number of milliseconds above 0" in error.msg
    assert '"steps"' in error.hint
