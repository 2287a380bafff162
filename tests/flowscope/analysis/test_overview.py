"""What the dashboard's overview shows for a window, from rows stored by the writer and
per-minute rollups as the recorder writes them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flowscope.analysis.overview import dashboard_data
from flowscope.models import PerformanceSnapshot
from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_span, make_trace

pytestmark = pytest.mark.django_db

UNTIL = timezone.now().replace(microsecond=0)
SINCE = UNTIL - timedelta(hours=1)
STRICT = {"error_rate": {"warning": 0.1, "critical": 0.5}}
LENIENT = {"error_rate": {"warning": 0.3, "critical": 0.5}}


def minutes_ago(minutes):
    return UNTIL - timedelta(minutes=minutes)


def overview(thresholds=STRICT):
    return dashboard_data(SINCE, UNTIL, thresholds, "1h")


def rollup(component, minutes, count, value, layer="api", source="web-1", **fields):
    metric = fields.pop("metric", "response_time_ms")
    return PerformanceSnapshot.objects.create(
        metric=metric,
        layer=layer,
        component=component,
        source=source,
        window_start=minutes_ago(minutes),
        count=count,
        value=value,
        **fields,
    )


@pytest.fixture
def traffic():
    """In the window: 8 good requests with a query each and 2 that failed; before it, 5
    failures of another kind, which the window must not show."""
    good = [
        make_trace(
            f"ok-{i}",
            at=minutes_ago(30 + i),
            complete=True,
            spans=[make_span("database", "SELECT ?", at=minutes_ago(30 + i), sql="SELECT ?")],
        )
        for i in range(8)
    ]
    failed = [
        make_trace(f"bad-{i}", at=minutes_ago(10 + i), status="error", errors=[make_error("boom")])
        for i in range(2)
    ]
    old = [
        make_trace(f"old-{i}", at=SINCE - timedelta(minutes=5), errors=[make_error("ancient")])
        for i in range(5)
    ]
    writer.write(good + failed + old)


@pytest.mark.usefixtures("traffic")
def test_health_counts_only_the_window_and_follows_the_thresholds():
    data = overview()
    assert data["window"] == {"name": "1h", "since": SINCE, "until": UNTIL}
    health = data["system_health"]
    api = health["layers"]["api"]
    assert (api["count"], api["error_rate"], api["status"]) == (10, 0.2, "degraded")
    assert api["throughput_rpm"] == round(10 / 60, 3)
    assert health["layers"]["database"]["count"] == 8
    assert health["layers"]["database"]["status"] == "healthy"
    assert health["layers"]["frontend"]["status"] == "unknown"
    assert health["overall_status"] == "degraded"
    assert overview(LENIENT)["system_health"]["overall_status"] == "healthy"


@pytest.mark.usefixtures("traffic")
def test_recent_errors_are_the_windows_grouped():
    errors = overview()["recent_errors"]
    assert [(group["message"], group["count"]) for group in errors] == [("boom", 2)]
    assert sorted(errors[0]["sample_correlation_ids"]) == ["bad-0", "bad-1"]


def test_active_workflows_are_the_running_ones_newest_first():
    writer.write(
        [
            make_trace("older", at=minutes_ago(20)),
            make_trace("newer", at=minutes_ago(2)),
            make_trace("done", at=minutes_ago(1), complete=True),
        ]
    )
    active = overview()["active_workflows"]
    assert [workflow.correlation_id for workflow in active] == ["newer", "older"]


def test_slowest_routes_and_queries_combine_every_process_rollups():
    rollup("GET /slow/", 10, count=10, value=100, p95=400, p99=500, source="web-1")
    rollup("GET /slow/", 10, count=30, value=200, p95=300, p99=900, source="web-2")
    rollup("GET /fast/", 5, count=5, value=10, p95=20, p99=30)
    rollup("*", 5, count=45, value=150, p95=2000)  # a layer's total is no route
    rollup("GET /before/", 90, count=1, value=5000, p95=9000)  # before the window
    rollup("SELECT item", 3, count=4, value=2, p95=8, layer="database")
    metrics = overview()["performance_metrics"]
    assert metrics["slowest_routes"] == [
        {"component": "GET /slow/", "count": 40, "p95_ms": 400, "p99_ms": 900, "avg_ms": 175},
        {"component": "GET /fast/", "count": 5, "p95_ms": 20, "p99_ms": 30, "avg_ms": 10},
    ]
    assert [query["component"] for query in metrics["slowest_queries"]] == ["SELECT item"]


def test_the_cache_hit_ratio_weighs_each_minute_by_its_lookups():
    rollup("*", 10, count=10, value=0.5, layer="cache", metric="cache_hit_ratio")
    rollup("*", 5, count=30, value=1.0, layer="cache", metric="cache_hit_ratio")
    rollup("*", 90, count=100, value=0.0, layer="cache", metric="cache_hit_ratio")  # before
    assert overview()["performance_metrics"]["cache_hit_ratio"] == (5 + 30) / 40


def test_each_process_shows_its_latest_cpu_and_memory():
    for minutes, cpu in ((3, 80.0), (1, 20.0)):
        rollup("*", minutes, 1, cpu, layer="process", metric="cpu_percent", source="web-1")
        rollup("*", minutes, 1, 300 + cpu, layer="process", metric="memory_mb", source="web-1")
    rollup("*", 2, 1, 55.0, layer="process", metric="cpu_percent", source="worker-1")
    processes = sorted(overview()["performance_metrics"]["process"], key=lambda p: p["source"])
    assert processes == [
        {"source": "web-1", "cpu_percent": 20.0, "memory_mb": 320.0},
        {"source": "worker-1", "cpu_percent": 55.0},
    ]


@pytest.mark.usefixtures("traffic")
def test_the_metrics_per_layer_are_the_health_figures():
    data = overview()
    layers = data["performance_metrics"]["layers"]
    api = data["system_health"]["layers"]["api"]
    assert layers["api"] == {
        key: api[key] for key in ("count", "throughput_rpm", "error_rate", "p50_ms", "p95_ms")
    }


def test_an_empty_store_shows_nothing_and_knows_no_status():
    data = overview()
    assert data["system_health"]["overall_status"] == "unknown"
    assert data["active_workflows"] == data["recent_errors"] == []
    metrics = data["performance_metrics"]
    assert metrics["slowest_routes"] == metrics["slowest_queries"] == metrics["process"] == []
    assert metrics["cache_hit_ratio"] is None
    assert data["optimization_recommendations"] == []
