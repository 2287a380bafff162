"""Reports are bounded: a workflow report holds at most MAX_STEPS steps and MAX_ERRORS
errors and says so, and no more than REPORTS_MAX_CONCURRENT reports are made or exported
at once in a process; past that the answer is a 429 with Retry-After, at once."""

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from flowscope.analysis import workflows
from flowscope.models import Report
from flowscope.recording import writer
from flowscope.reports import performance
from tests.flowscope.factories import make_error, make_span, make_trace

URL = "/api/v1/debugging/reports/"
DEADLINE_SECONDS = 30


def section(report, key):
    return next(s for s in report["sections"] if s["key"] == key)


def test_a_workflow_of_thousands_of_steps_and_errors_is_reported_in_part_and_says_so(
    staff_client, db
):
    many_errors = workflows.MAX_ERRORS + 200
    many_steps = workflows.MAX_STEPS + 100
    trace = make_trace(
        "retry-storm",
        errors=[make_error(f"attempt {i}") for i in range(many_errors)],
        spans=[make_span("database", f"SELECT {i}") for i in range(many_steps)],
    )
    writer.write([trace])

    response = staff_client.post(
        URL + "generate_workflow_report/", {"correlation_id": "retry-storm"}, format="json"
    )

    assert response.status_code == 201, response.json()
    errors, steps = section(response.json(), "errors"), section(response.json(), "steps")
    assert len(errors["rows"]) == workflows.MAX_ERRORS
    assert errors["note"].startswith(f"The first {workflows.MAX_ERRORS} of {many_errors};")
    assert len(steps["rows"]) == workflows.MAX_STEPS
    assert steps["note"].startswith(f"The first {workflows.MAX_STEPS} of {many_steps + 1};")
    detail = staff_client.get("/api/v1/debugging/workflows/retry-storm/").json()
    assert (len(detail["errors"]), detail["errors_truncated"]) == (workflows.MAX_ERRORS, True)


@pytest.fixture
def held_performance_report(monkeypatch):
    """``performance.build`` waits, once started, until the test lets it go."""
    started, let_go = threading.Event(), threading.Event()
    build = performance.build

    def held(*args, **kwargs):
        started.set()
        let_go.wait(DEADLINE_SECONDS)
        return build(*args, **kwargs)

    monkeypatch.setattr(performance, "build", held)
    yield started, let_go
    let_go.set()


@pytest.mark.django_db(transaction=True)
def test_past_the_concurrent_limit_reports_are_refused_with_retry_after(
    staff, settings, held_performance_report
):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REPORTS_MAX_CONCURRENT": 1}
    started, let_go = held_performance_report
    writer.write([make_trace("wf-1")])
    client = staff_api_client(staff)
    made = client.post(URL + "generate_workflow_report/", {"correlation_id": "wf-1"}, format="json")
    held = {}

    def a_long_report():
        try:
            held["response"] = staff_api_client(staff).post(
                URL + "generate_performance_report/", {"hours": 24 * 31}, format="json"
            )
        finally:
            connections.close_all()  # this thread's own, before the test database goes

    thread = threading.Thread(target=a_long_report)
    thread.start()
    assert started.wait(DEADLINE_SECONDS)

    for refused in (
        client.post(URL + "generate_workflow_report/", {"correlation_id": "wf-1"}, format="json"),
        client.post(URL + "generate_system_health_report/", {"hours": 1}, format="json"),
        client.get(f"{URL}{made.json()['id']}/export/?format=pdf"),
    ):
        assert refused.status_code == 429
        assert refused["Retry-After"] == "2"
        assert refused.json()["code"] == "report_pool_full"
        assert "REPORTS_MAX_CONCURRENT" in refused.json()["detail"]
    assert client.get(URL).status_code == 200  # reading stored reports takes no slot

    let_go.set()
    thread.join(DEADLINE_SECONDS)
    assert held["response"].status_code == 201
    assert client.get(f"{URL}{made.json()['id']}/export/?format=pdf").status_code == 200
    assert Report.objects.count() == 2


def staff_api_client(user):
    client = APIClient()  # one a thread: a test client is not shared between threads
    client.force_authenticate(user)
    return client
