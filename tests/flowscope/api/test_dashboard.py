from datetime import timedelta

import pytest
from django.utils import timezone

from flowscope.models import DashboardConfiguration, PerformanceSnapshot
from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_span, make_trace

URL = "/api/v1/debugging/dashboard-data/"
UPDATES = URL + "realtime_updates/"
pytestmark = pytest.mark.django_db


def recent(seconds_ago):
    return timezone.now() - timedelta(seconds=seconds_ago)


@pytest.fixture
def traffic(db):
    traces = [
        make_trace(
            f"ok-{i}",
            at=recent(300 + i),
            duration_ms=50 + i,
            spans=[
                make_span("database", "SELECT ?", at=recent(300), sql="SELECT ?"),
                make_span("cache", "cache.get", at=recent(300), hit=True),
            ],
        )
        for i in range(20)
    ]
    traces += [
        make_trace(f"bad-{i}", at=recent(200), status="error", errors=[make_error("boom")])
        for i in range(5)
    ]
    traces.append(make_trace("running", at=recent(10)))
    writer.write(traces)
    PerformanceSnapshot.objects.create(
        metric="response_time_ms",
        layer="api",
        component="GET /slow/",
        source="h:1",
        window_start=recent(600),
        count=10,
        value=900,
        p95=1500,
        p99=2000,
    )


def test_everything_the_overview_needs(staff_client, traffic, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        body = staff_client.get(URL).json()
    health = body["system_health"]
    api = health["layers"]["api"]
    assert (api["count"], api["error_rate"]) == (26, round(5 / 26, 4))
    assert api["status"] == "degraded"  # 19 % errors: over the 5 % warning
    assert health["layers"]["frontend"]["status"] == "unknown"
    assert health["overall_status"] == "degraded"
    assert health["layers"]["database"]["p95_ms"] == 5.0
    assert next(w["correlation_id"] for w in body["active_workflows"]) == "running"
    assert body["recent_errors"][0]["count"] == 5
    assert body["performance_metrics"]["slowest_routes"][0]["component"] == "GET /slow/"
    assert isinstance(body["optimization_recommendations"], list)
    assert body["window"]["name"] == "1h"


def test_the_users_configuration_sets_window_and_thresholds(staff_client, staff, traffic):
    DashboardConfiguration.objects.create(
        user=staff,
        name="mine",
        is_default=True,
        default_window="15m",
        thresholds={"error_rate": {"warning": 0.5, "critical": 0.9}},
    )
    body = staff_client.get(URL).json()
    assert body["window"]["name"] == "15m"
    assert body["system_health"]["layers"]["api"]["status"] == "healthy"


def test_a_bad_window_is_400(staff_client, db):
    response = staff_client.get(URL, {"window": "3 weeks"})
    assert response.status_code == 400
    assert "window" in response.json()["errors"]


def test_empty_state(staff_client, db):
    body = staff_client.get(URL, {"window": "15m"}).json()
    assert body["system_health"]["overall_status"] == "unknown"
    assert body["active_workflows"] == body["recent_errors"] == []


def test_query_count_does_not_grow_with_data(staff_client, django_assert_max_num_queries):
    for batch in range(3):
        writer.write(
            [
                make_trace(f"w{batch}-{i}", at=recent(100), errors=[make_error(f"e{i}")])
                for i in range(50)
            ]
        )
        with django_assert_max_num_queries(30):
            assert staff_client.get(URL).status_code == 200


def test_realtime_updates_since_a_moment(staff_client, traffic):
    moment = timezone.now()
    writer.write([make_trace("new-one", at=timezone.now(), errors=[make_error("fresh")])])
    body = staff_client.get(UPDATES, {"since": moment.isoformat()}).json()
    assert [w["correlation_id"] for w in body["workflows"]] == ["new-one"]
    assert [e["message"] for e in body["errors"]] == ["fresh"]
    assert body["clamped"] is False
    assert body["system_health"]["layers"]["api"]["count"] == 27
    again = staff_client.get(UPDATES, {"since": body["server_time"]}).json()
    assert again["workflows"] == again["errors"] == []


def test_realtime_updates_bad_and_too_old_since(staff_client, db):
    response = staff_client.get(UPDATES, {"since": "last tuesday"})
    assert response.status_code == 400
    assert "since" in response.json()["errors"]
    assert staff_client.get(UPDATES).status_code == 400
    old = staff_client.get(UPDATES, {"since": "2020-01-01T00:00:00Z"}).json()
    assert old["clamped"] is True
