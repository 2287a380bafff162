"""budgets/: each budgeted workflow type's budget used over a window, what went over."""

from datetime import timedelta

import pytest

from flowscope.records.trace import now
from tests.flowscope.alerts.conftest import record
from tests.flowscope.api.test_schema import fetch_schema
from tests.flowscope.factories import make_checkout

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/debugging/budgets/"
BUDGETS = {
    "checkout": {"total_ms": 800, "layers": {"api": 250, "database": 100, "external": 300}},
    "login": {"total_ms": 500},
}


@pytest.fixture(autouse=True)
def budgets(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "BUDGETS": BUDGETS, "ALERT_RULES": []}


def checkouts(request_ms, query_ms):
    """One checkout a duration, its request running one query of each ``query_ms``."""
    at = now() - timedelta(minutes=1)
    pairs = enumerate(zip(request_ms, query_ms, strict=True))
    record(make_checkout(f"co-{n}", at, ms, query) for n, (ms, query) in pairs)


def test_each_budget_with_its_p95s_against_it(staff_client):
    # Twenty checkouts: 200..390 ms requests, 20..115 ms of queries each.
    checkouts([200.0 + 10 * n for n in range(20)], [20.0 + 5 * n for n in range(20)])
    answer = staff_client.get(URL, {"window": "1h"}).json()
    assert answer["window"] == "1h" and answer["configuration_error"] is None
    checkout, login = answer["budgets"]
    assert (checkout["workflow_type"], checkout["workflows"], checkout["sampled"]) == (
        "checkout",
        20,
        20,
    )
    # The 19th of 20: 380 ms in all, 110 ms of queries, and 380 - 110 = 270 ms of its own.
    assert checkout["total"] == {
        "name": "total",
        "budget_ms": 800.0,
        "p95_ms": 380.0,
        "used_percent": 47.5,
        "over": False,
    }
    lines = {line["name"]: line for line in checkout["layers"]}
    assert (lines["api"]["p95_ms"], lines["api"]["used_percent"]) == (270.0, 108.0)
    assert (lines["database"]["p95_ms"], lines["database"]["used_percent"]) == (110.0, 110.0)
    assert lines["external"]["p95_ms"] == 0.0
    assert checkout["over"] == ["api", "database"]
    assert (login["workflows"], login["total"]["p95_ms"], login["over"]) == (0, None, [])
    assert [(o["workflow_type"], o["name"]) for o in answer["over_budget"]] == [
        ("checkout", "database"),
        ("checkout", "api"),
    ]


def test_each_step_budget_with_its_p95_over_the_workflows_that_ran_the_step(staff_client, settings):
    steps = {"api: GET /api/v1/x/": 260, "SELECT cart": 120, "payment.charge": 50}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "BUDGETS": {"checkout": {"steps": steps}}}
    checkouts([200.0 + 10 * n for n in range(20)], [20.0 + 5 * n for n in range(20)])
    [checkout] = staff_client.get(URL, {"window": "1h"}).json()["budgets"]
    assert (checkout["total"], checkout["layers"]) == (None, [])
    # The request's own time is 180 + 5n ms; the 19th of 20 (n = 18) is the p95.
    assert checkout["steps"] == [
        {
            "name": "api: GET /api/v1/x/",
            "budget_ms": 260.0,
            "p95_ms": 270.0,
            "used_percent": 103.8,
            "over": True,
            "workflows": 20,
        },
        {
            "name": "SELECT cart",
            "budget_ms": 120.0,
            "p95_ms": 110.0,
            "used_percent": 91.7,
            "over": False,
            "workflows": 20,
        },
        {
            "name": "payment.charge",
            "budget_ms": 50.0,
            "p95_ms": None,
            "used_percent": None,
            "over": False,
            "workflows": 0,
        },
    ]
    assert checkout["over"] == ["api: GET /api/v1/x/"]
    assert staff_client.get(URL, {"window": "1h"}).json()["over_budget"] == [
        {
            "workflow_type": "checkout",
            "kind": "step",
            "name": "api: GET /api/v1/x/",
            "p95_ms": 270.0,
            "budget_ms": 260.0,
            "used_percent": 103.8,
        }
    ]
    # The overview's health names it too.
    overview = staff_client.get("/api/v1/debugging/dashboard-data/", {"window": "1h"}).json()
    assert [(o["kind"], o["name"]) for o in overview["system_health"]["over_budget"]] == [
        ("step", "api: GET /api/v1/x/")
    ]


def test_a_budget_that_cannot_be_read_is_said_not_a_500(staff_client, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "BUDGETS": {"checkout": {"layers": {"db": 1}}}}
    answer = staff_client.get(URL).json()
    assert answer["budgets"] == [] and answer["over_budget"] == []
    assert "budget 'checkout': db not a layer" in answer["configuration_error"]


def test_no_budgets_by_default(staff_client, settings):
    settings.FLOWSCOPE = {k: v for k, v in settings.FLOWSCOPE.items() if k != "BUDGETS"}
    answer = staff_client.get(URL).json()
    assert (answer["budgets"], answer["window"]) == ([], "1h")


def test_an_unknown_window_is_a_400_naming_it(staff_client):
    response = staff_client.get(URL, {"window": "2d"})
    assert response.status_code == 400
    assert response.json()["errors"]["window"] == ["Use one of 15m, 1h, 6h, 24h, 7d."]


def test_only_staff_reads_budgets(customer_client, anonymous_client):
    assert customer_client.get(URL).status_code == 403
    assert anonymous_client.get(URL).status_code in (401, 403)


def test_the_schema_describes_the_budgets():
    schema = fetch_schema()
    answer = schema["paths"]["/debugging/budgets/"]["get"]
    assert answer["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Budgets"
    )
    assert [p["name"] for p in answer["parameters"]] == ["window"]
    line = schema["components"]["schemas"]["BudgetLine"]["properties"]
    assert {"name", "budget_ms", "p95_ms", "used_percent", "over"} <= set(line)
    step = schema["components"]["schemas"]["StepBudgetLine"]["properties"]
    assert {"name", "budget_ms", "p95_ms", "used_percent", "over", "workflows"} <= set(step)
    usage = schema["components"]["schemas"]["BudgetUsage"]["properties"]
    assert usage["steps"]["items"]["$ref"].endswith("/StepBudgetLine")
