"""Budget used over a window, on stored workflows built by hand: exact p95s of the total and
of each layer's and budgeted step's self time, only real workflows that ended counted."""

from datetime import timedelta

import pytest

from flowscope.analysis.budget_settings import Budget, BudgetError, read_budget
from flowscope.analysis.budgets import budget_usage, over_budget, usage_of
from flowscope.models import TraceStep, WorkflowSession
from tests.flowscope.factories import T0

pytestmark = pytest.mark.django_db

SINCE, UNTIL = T0 - timedelta(hours=1), T0 + timedelta(hours=1)
CHECKOUT = Budget(
    "checkout", 1200.0, {"frontend": 100.0, "api": 250.0, "database": 100.0, "external": 50.0}
)


def stored_workflow(n, workflow_type="checkout", status="completed", started=T0, **fields):
    """Workflow ``n``: 1,000 + 10n ms long, one 300 ms request running 5n ms of queries."""
    workflow = WorkflowSession.objects.create(
        correlation_id=f"{workflow_type}-{status}-{n}-{fields.get('kind', 'workflow')}",
        workflow_type=workflow_type,
        status=status,
        started_at=started + timedelta(seconds=n),
        last_activity_at=started + timedelta(seconds=n, milliseconds=1000 + 10 * n),
        duration_ms=1000.0 + 10 * n,
        **fields,
    )
    at = workflow.started_at
    TraceStep.objects.bulk_create(
        [
            TraceStep(workflow=workflow, span_id=f"r{n}", layer="api", name="POST /checkout/",
                      started_at=at, duration_ms=300.0),
            TraceStep(workflow=workflow, span_id=f"q{n}", parent_span_id=f"r{n}",
                      layer="database", name="SELECT", started_at=at, duration_ms=5.0 * n),
        ]
    )  # fmt: skip
    return workflow


@pytest.fixture
def checkouts():
    """Twenty that count (the last one failed), and every kind of workflow that does not."""
    for n in range(1, 20):
        stored_workflow(n)
    stored_workflow(20, status="failed")
    stored_workflow(90, status="in_progress")
    stored_workflow(91, status="timed_out")
    stored_workflow(92, metadata={"synthetic": {"run": "manual"}})
    stored_workflow(93, kind="request")
    stored_workflow(94, started=SINCE - timedelta(hours=1))
    stored_workflow(95, workflow_type="login")


def test_the_p95_of_the_total_and_of_each_layers_self_time_against_its_budget(checkouts):
    usage = usage_of(CHECKOUT, SINCE, UNTIL)
    assert (usage["workflows"], usage["sampled"]) == (20, 20)
    # Durations 1,010..1,200 ms: the 19th of 20 is the p95.
    assert usage["total"] == {
        "name": "total",
        "budget_ms": 1200.0,
        "p95_ms": 1190.0,
        "used_percent": 99.2,
        "over": False,
    }
    lines = {line["name"]: line for line in usage["layers"]}
    assert list(lines) == ["frontend", "api", "database", "external"]
    # The request's self time leaves out its queries: 300 - 5n, i.e. 200..295 ms.
    assert (lines["api"]["p95_ms"], lines["api"]["used_percent"]) == (290.0, 116.0)
    assert lines["api"]["over"] is True
    assert (lines["database"]["p95_ms"], lines["database"]["used_percent"]) == (95.0, 95.0)
    # No step in the layer: 0 ms a workflow, none of its budget used.
    assert (lines["external"]["p95_ms"], lines["external"]["used_percent"]) == (0.0, 0.0)
    assert usage["over"] == ["api"]


def test_a_window_with_more_workflows_than_the_sample_is_judged_on_the_latest(checkouts):
    usage = usage_of(CHECKOUT, SINCE, UNTIL, sample=10)
    assert (usage["workflows"], usage["sampled"]) == (20, 10)
    # Workflows 11..20: durations 1,110..1,200, queries 55..100 ms.
    assert usage["total"]["p95_ms"] == 1200.0
    assert {line["name"]: line["p95_ms"] for line in usage["layers"]}["database"] == 100.0


def test_a_type_without_workflows_in_the_window_has_no_figures():
    usage = usage_of(Budget("checkout", None, {"api": 250.0}), SINCE, UNTIL)
    assert usage["workflows"] == usage["sampled"] == 0
    assert usage["total"] is None
    assert usage["layers"] == [
        {"name": "api", "budget_ms": 250.0, "p95_ms": None, "used_percent": None, "over": False}
    ]
    assert usage["over"] == []


def test_what_went_over_most_over_first(checkouts):
    tight = Budget("checkout", 1000.0, {"api": 250.0, "database": 100.0})
    usages = budget_usage(SINCE, UNTIL, {"checkout": tight, "login": Budget("login", 2000.0)})
    assert [usage["workflow_type"] for usage in usages] == ["checkout", "login"]
    assert over_budget(usages) == [
        {
            "workflow_type": "checkout",
            "kind": "total",
            "name": "total",
            "p95_ms": 1190.0,
            "budget_ms": 1000.0,
            "used_percent": 119.0,
        },
        {
            "workflow_type": "checkout",
            "kind": "layer",
            "name": "api",
            "p95_ms": 290.0,
            "budget_ms": 250.0,
            "used_percent": 116.0,
        },
    ]


def test_budgets_are_read_in_layer_order():
    budget = read_budget("checkout", {"total_ms": 800, "layers": {"external": 300, "api": 250}})
    assert budget == Budget("checkout", 800.0, {"api": 250.0, "external": 300.0})


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({}, '"total_ms", "layers" and/or "steps"'),
        ({"total": 800}, '"total_ms", "layers" and/or "steps"'),
        ({"total_ms": 0}, "total_ms must be a number of milliseconds above 0"),
        ({"total_ms": "800"}, "total_ms must be a number"),
        ({"total_ms": float("nan")}, "total_ms must be a number of milliseconds above 0"),
        ({"layers": {"api": float("inf")}}, "layers['api'] must be a number"),
        ({"layers": {"db": 100}}, "db not a layer"),
        ({"layers": {"api": True}}, "layers['api'] must be a number"),
        ({"layers": [250]}, '"layers" must be a dict'),
        ({"steps": {"payment.charge": 0}}, "steps['payment.charge'] must be a number"),
        ({"steps": {"payment.charge": "200"}}, "steps['payment.charge'] must be a number"),
        ({"steps": {"": 200}}, "a step is named by text of 1 to 500 characters"),
        ({"steps": {"api: ": 200}}, "a step is named by text of 1 to 500 characters"),
        ({"steps": {"x" * 501: 200}}, "a step is named by text of 1 to 500 characters"),
        ({"steps": ["payment.charge"]}, '"steps" must be a dict'),
    ],
)
def test_a_malformed_budget_says_what_is_wrong(entry, says):
    with pytest.raises(BudgetError) as raised:
        read_budget("checkout", entry)
    assert says in str(raised.value)
    assert "budget 'checkout'" in str(raised.value)


def add_steps(n, *steps):
    """Steps ``(span id, layer, name, ms)`` added to counted workflow ``n``."""
    workflow = WorkflowSession.objects.get(correlation_id=f"checkout-completed-{n}-workflow")
    TraceStep.objects.bulk_create(
        TraceStep(workflow=workflow, span_id=span, layer=layer, name=name,
                  started_at=workflow.started_at, duration_ms=ms)
        for span, layer, name, ms in steps
    )  # fmt: skip


def test_a_steps_self_time_against_its_budget_over_the_workflows_that_have_it(checkouts):
    # Four checkouts paid: 110 (two calls of 60 and 50), 120, 130 and 140 ms.
    add_steps(
        1, ("p1", "external", "payment.charge", 60.0), ("p1b", "external", "payment.charge", 50.0)
    )
    for n in (2, 3, 4):
        add_steps(n, (f"p{n}", "external", "payment.charge", 100.0 + 10 * n))
    # Two browsers' fetches named like the request they reached: 50 ms of their own.
    for n in (1, 2):
        add_steps(n, (f"f{n}", "frontend", "POST /checkout/", 50.0))
    budget = Budget("checkout", None, {}, {
        "payment.charge": 135.0,
        "api: POST /checkout/": 300.0,
        "POST /checkout/": 300.0,
        "database: SELECT": 90.0,
        "api: SELECT": 10.0,
    })  # fmt: skip
    usage = usage_of(budget, SINCE, UNTIL)
    lines = {line["name"]: line for line in usage["steps"]}
    assert list(lines) == list(budget.steps)
    # The four paid ones only, not the sixteen without a payment call: the 4th of 4.
    assert lines["payment.charge"] == {
        "name": "payment.charge",
        "budget_ms": 135.0,
        "p95_ms": 140.0,
        "used_percent": 103.7,
        "over": True,
        "workflows": 4,
    }
    # The request's own time (300 - 5n ms: 200..295); with its layer named, the fetches'
    # 50 ms are not added to workflows 1 and 2's 295 and 290.
    api = lines["api: POST /checkout/"]
    assert (api["p95_ms"], api["workflows"], api["over"]) == (290.0, 20, False)
    anywhere = lines["POST /checkout/"]
    assert (anywhere["p95_ms"], anywhere["used_percent"], anywhere["over"]) == (340.0, 113.3, True)
    assert (lines["database: SELECT"]["p95_ms"], lines["database: SELECT"]["over"]) == (95.0, True)
    assert lines["api: SELECT"] == {
        "name": "api: SELECT",
        "budget_ms": 10.0,
        "p95_ms": None,
        "used_percent": None,
        "over": False,
        "workflows": 0,
    }
    assert usage["over"] == ["payment.charge", "POST /checkout/", "database: SELECT"]
    assert [(o["kind"], o["name"]) for o in over_budget([usage])] == [
        ("step", "POST /checkout/"),
        ("step", "database: SELECT"),
        ("step", "payment.charge"),
    ]


def test_step_budgets_cost_one_read_of_the_steps_whatever_their_number(
    checkouts, django_assert_num_queries
):
    many = {f"step {n}": 100.0 for n in range(50)}
    budget = Budget("checkout", None, {"api": 250.0}, {**many, "POST /checkout/": 280.0})
    with django_assert_num_queries(2):  # the sampled workflows, then their steps
        usage = usage_of(budget, SINCE, UNTIL)
    assert len(usage["steps"]) == 51 and usage["over"] == ["api", "POST /checkout/"]
