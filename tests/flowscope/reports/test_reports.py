from datetime import timedelta

import pytest
from django.utils import timezone

from flowscope.models import Report
from flowscope.recording import writer
from tests.flowscope.api.test_workflows import checkout
from tests.flowscope.factories import make_error, make_span, make_trace

URL = "/api/v1/debugging/reports/"
pytestmark = pytest.mark.django_db


def section(report, key):
    return next(s for s in report["sections"] if s["key"] == key)


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


@pytest.fixture
def checkouts(db):
    checkout("good-1", ago(minutes=30))
    checkout("good-2", ago(minutes=20))
    checkout("bad-1", ago(minutes=10), declined=True, cache_hit=False)


def test_workflow_report_of_a_failed_checkout(staff_client, checkouts):
    response = staff_client.post(
        URL + "generate_workflow_report/", {"correlation_id": "bad-1"}, format="json"
    )
    assert response.status_code == 201
    report = response.json()
    assert (report["report_type"], report["generated_by"]) == ("workflow", "ops")
    assert report["summary"]["Status"] == "failed"
    assert report["summary"]["Requests"] == 2
    steps = section(report, "steps")["rows"]
    assert [row[0] for row in steps] == [
        "POST /api/v1/auth/login/",
        "  SELECT user",
        "POST /api/v1/orders/checkout/",
        "  cache.get",
        "  SELECT product",
        "  payment_gateway.charge",
        "  ROLLBACK",
    ]
    assert "critical path" in steps[2][5]
    assert section(report, "time_per_layer")["fields"]["external"] == 120.0
    assert section(report, "cache")["fields"] == {"Hits": 0, "Misses": 1, "Hit ratio": 0.0}
    (error,) = section(report, "errors")["rows"]
    assert error[3:6] == ["HTTP 402", "402 Payment Required", "POST /api/v1/orders/checkout/"]
    assert "/app/shop/views.py:10 in pay" in error[6]
    comparison = {row[0]: row[1:] for row in section(report, "comparison")["rows"]}
    # good-1 and good-2 both took 1000 + 200 ms; this one 1000 + 300 ms.
    assert comparison["Total duration, end to end (ms)"] == [1300.0, 1200.0, 100.0]
    # Self time on both sides, as "Time per layer" counts it: each request's own 95 ms
    # and 55 ms (150 ms) against 95 ms and 150 ms here; the gateway's 120 ms alike.
    assert comparison["api self time (ms)"] == [245.0, 150.0, 95.0]
    assert comparison["api self time (ms)"][0] == section(report, "time_per_layer")["fields"]["api"]
    assert comparison["external self time (ms)"] == [120.0, 120.0, 0.0]
    assert section(report, "comparison")["columns"][1:3] == ["This workflow", "Median of similar"]
    assert Report.objects.get().title == "Workflow report: checkout bad-1"


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({}, 400, "correlation_id"),
        ({"correlation_id": "no such"}, 400, "correlation_id"),
        ({"correlation_id": "ghost"}, 404, None),
    ],
)
def test_workflow_report_bad_input(staff_client, checkouts, body, status, field):
    response = staff_client.post(URL + "generate_workflow_report/", body, format="json")
    assert response.status_code == status
    if field:
        assert field in response.json()["errors"]
    assert not Report.objects.exists()


def test_system_health_report_counts_rates_and_trend(staff_client, checkouts):
    writer.write(
        [
            make_trace("old-1", at=ago(minutes=90), workflow_type="checkout", complete=True),
            make_trace(
                "old-2",
                at=ago(minutes=80),
                workflow_type="login",
                errors=[make_error("boom", error_type="KeyError")],
            ),
        ]
    )
    report = staff_client.post(
        URL + "generate_system_health_report/", {"hours": 1}, format="json"
    ).json()
    assert report["summary"]["Workflows"] == 3
    assert report["summary"]["Success rate"] == round(2 / 3, 4)
    assert section(report, "workflows")["rows"] == [["checkout", 3, 2, 1, 0, 0, round(2 / 3, 4)]]
    assert section(report, "errors_by_layer")["rows"] == [["api", 1]]
    (group,) = section(report, "top_errors")["rows"]
    assert (group[0], group[4]) == ("HTTP 402", 1)
    trend = {row[0]: row[1:] for row in section(report, "trend")["rows"]}
    assert trend["Workflows"] == [3, 2, 1]
    # Before: the checkout completed, the login failed (its error).
    assert trend["Success rate"] == [round(2 / 3, 4), 0.5, round(round(2 / 3, 4) - 0.5, 4)]
    assert trend["Errors"] == [1, 1, 0]
    layers = {(row[1]) for row in section(report, "layer_health")["rows"]}
    assert layers == {"api", "database", "cache", "external"}


def test_an_empty_period_is_a_valid_empty_report(staff_client, db):
    report = staff_client.post(
        URL + "generate_system_health_report/",
        {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"},
        format="json",
    ).json()
    assert report["summary"]["Workflows"] == 0
    assert report["summary"]["Success rate"] is None
    assert section(report, "workflows")["rows"] == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "start"),
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "end"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}, "end"),
        ({"hours": 0}, "hours"),
        ({"hours": 10_000}, "hours"),
        ({"hours": 2, "start": "2026-01-01T00:00:00Z"}, "hours"),
        ({"start": "yesterday", "end": "today"}, "start"),
    ],
)
def test_period_errors_name_the_field(staff_client, db, body, field):
    for kind in ("generate_system_health_report/", "generate_performance_report/"):
        response = staff_client.post(URL + kind, body, format="json")
        assert response.status_code == 400, kind
        assert field in response.json()["errors"]


def test_performance_report_statistics(staff_client, db):
    writer.write(
        [
            make_trace(
                f"r{i}",
                at=ago(minutes=5),
                name="GET /r/",
                duration_ms=float(i),
                query_count=i % 3,
                spans=[
                    make_span(
                        "database",
                        "SELECT ?",
                        duration_ms=i / 10,
                        at=ago(minutes=5),
                        sql="SELECT ?",
                    ),
                    make_span(
                        "cache", "cache.get", at=ago(minutes=5), alias="default", hit=i % 4 != 0
                    ),
                ],
            )
            for i in range(1, 21)
        ]
    )
    report = staff_client.post(
        URL + "generate_performance_report/", {"hours": 1}, format="json"
    ).json()
    (route,) = section(report, "routes")["rows"]
    assert route == ["GET /r/", 20, 10.0, 19.0, 20.0, 20.0, round(21 / 20, 1), 0.0]
    (query,) = section(report, "queries")["rows"]
    assert query[:6] == ["SELECT ?", 20, 1.0, 1.9, 2.0, 2.0]
    assert section(report, "cache")["rows"] == [["default", 20, 15, 5, 0.75]]
    only = staff_client.post(
        URL + "generate_performance_report/", {"hours": 1, "routes": ["GET /other/"]}, format="json"
    ).json()
    assert section(only, "routes")["rows"] == []
    bad = staff_client.post(
        URL + "generate_performance_report/", {"hours": 1, "layers": ["quantum"]}, format="json"
    )
    assert "layers" in bad.json()["errors"]


def test_list_read_delete_and_permissions(
    staff_client, customer_client, anonymous_client, checkouts
):
    staff_client.post(URL + "generate_workflow_report/", {"correlation_id": "bad-1"}, format="json")
    created = staff_client.post(
        URL + "generate_system_health_report/", {"hours": 1}, format="json"
    ).json()
    listing = staff_client.get(URL).json()
    assert listing["count"] == 2
    assert "sections" not in listing["results"][0]
    assert staff_client.get(URL, {"type": "workflow"}).json()["count"] == 1
    assert staff_client.get(f"{URL}{created['id']}/").json()["sections"] == created["sections"]
    for client, code in ((customer_client, 403), (anonymous_client, 403)):
        assert client.get(URL).status_code in (code, 401)
        assert client.post(
            URL + "generate_system_health_report/", {"hours": 1}, format="json"
        ).status_code in (code, 401)
    assert staff_client.delete(f"{URL}{created['id']}/").status_code == 204
    assert staff_client.get(f"{URL}{created['id']}/").status_code == 404
