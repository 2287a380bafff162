"""The system health and performance reports list each budget's p95s against it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flowscope.recording import writer
from tests.flowscope.factories import make_checkout
from tests.flowscope.reports.test_reports import URL, section

pytestmark = pytest.mark.django_db

BUDGETS = {
    "checkout": {
        "total_ms": 800,
        "layers": {"api": 250, "database": 100},
        "steps": {"api: GET /api/v1/x/": 500, "SELECT cart": 30, "payment.charge": 100},
    }
}


@pytest.fixture
def checkouts(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "BUDGETS": BUDGETS}
    at = timezone.now() - timedelta(minutes=5)
    writer.write([make_checkout(f"co-{n}", at, 300.0 + 100 * n, 40.0) for n in range(3)])


@pytest.mark.parametrize("report", ["system_health", "performance"])
def test_each_budget_line_with_its_p95_and_the_share_used(staff_client, checkouts, report):
    answer = staff_client.post(f"{URL}generate_{report}_report/", {"hours": 1}, format="json")
    budgets = section(answer.json(), "budgets")
    assert budgets["columns"][:2] == ["Type", "Budget of"]
    # Three checkouts of 300, 400 and 500 ms, 40 ms of it in queries: the p95 is the third.
    assert budgets["rows"] == [
        ["checkout", "total", 3, 500.0, 800.0, 62.5, ""],
        ["checkout", "api", 3, 460.0, 250.0, 184.0, "over"],
        ["checkout", "database", 3, 40.0, 100.0, 40.0, ""],
        # The request's own time, and its query's, in the workflows that ran them; none paid.
        ["checkout", "step api: GET /api/v1/x/", 3, 460.0, 500.0, 92.0, ""],
        ["checkout", "step SELECT cart", 3, 40.0, 30.0, 133.3, "over"],
        ["checkout", "step payment.charge", 0, None, 100.0, None, ""],
    ]


def test_without_budgets_the_section_says_so(staff_client, db, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "BUDGETS": {}}
    answer = staff_client.post(f"{URL}generate_performance_report/", {"hours": 1}, format="json")
    budgets = section(answer.json(), "budgets")
    assert budgets["rows"] == []
    assert budgets["note"] == "No budgets: FLOWSCOPE['BUDGETS'] declares none."
