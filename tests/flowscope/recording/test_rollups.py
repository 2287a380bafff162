from datetime import timedelta

import pytest

from flowscope.percentiles import percentile
from flowscope.recording.rollups import RollupBuffer
from flowscope.wire import SnapshotSerializer
from tests.flowscope.factories import T0, make_span, make_trace


def snapshots_by(rows):
    return {(row.metric, row.layer, row.component): row for row in rows}


def test_nearest_rank_percentiles():
    values = list(range(1, 101))
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)) == (
        50,
        95,
        99,
    )
    assert percentile([], 0.5) is None
    assert percentile([7], 0.99) == 7


def test_a_window_is_written_once_it_has_closed():
    buffer = RollupBuffer("host:1")
    for ms in range(1, 101):
        buffer.add(
            make_trace(
                at=T0 + timedelta(seconds=ms % 50),
                duration_ms=float(ms),
                name="GET /r/",
                query_count=ms % 4,
            )
        )
    assert buffer.take_closed(T0 + timedelta(seconds=74)) == []  # within the grace period
    rows = snapshots_by(buffer.take_closed(T0 + timedelta(seconds=75)))
    latency = rows["response_time_ms", "api", "GET /r/"]
    assert (latency.count, latency.value, latency.p50, latency.p95, latency.p99) == (
        100,
        50.5,
        50,
        95,
        99,
    )
    assert latency.window_start == T0
    assert latency.source == "host:1"
    assert rows["throughput_rpm", "api", "*"].value == 100
    assert rows["query_count", "api", "GET /r/"].value == pytest.approx(1.5)
    assert rows["error_rate", "api", "GET /r/"].value == 0
    assert buffer.take_all() == []


def test_errors_cache_and_alerts(settings):
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "THRESHOLDS": {
            "response_time_ms": {"warning": 100, "critical": 1000},
            "error_rate": {"warning": 0.1, "critical": 0.4},
            "cache_hit_ratio": {"warning": 0.8, "critical": 0.3, "above": False},
        },
    }
    buffer = RollupBuffer("host:1")
    buffer.add(
        make_trace(
            duration_ms=300,
            status="error",
            spans=[
                make_span("cache", "cache.get", alias="default", hit=False),
                make_span("cache", "cache.get_many", alias="default", hits=1, misses=2),
            ],
        )
    )
    buffer.add(
        make_trace(
            duration_ms=50, spans=[make_span("cache", "cache.get", alias="default", hit=True)]
        )
    )
    rows = snapshots_by(buffer.take_all())
    errors = rows["error_rate", "api", "GET /api/v1/x/"]
    assert (errors.value, errors.is_alert, errors.severity, errors.threshold) == (
        0.5,
        True,
        "critical",
        0.4,
    )
    latency = rows["response_time_ms", "api", "GET /api/v1/x/"]
    assert (latency.p95, latency.severity) == (300, "warning")
    ratio = rows["cache_hit_ratio", "cache", "default"]
    assert (ratio.value, ratio.count, ratio.severity) == (0.4, 5, "warning")


def test_an_alert_says_which_figure_fired(settings):
    """The mean of these requests (190 ms) is under the warning; their p95 (1,000 ms) is
    past it. Over the wire the alert carries the p95, not the mean."""
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "THRESHOLDS": {"response_time_ms": {"warning": 500, "critical": 5000}},
    }
    buffer = RollupBuffer("host:1")
    for ms in [100.0] * 9 + [1000.0] * 1:
        buffer.add(make_trace(duration_ms=ms, name="GET /r/"))
    rows = snapshots_by(buffer.take_all())
    latency = SnapshotSerializer(rows["response_time_ms", "api", "GET /r/"]).data
    assert (latency["value"], latency["severity"]) == (190.0, "warning")
    assert (latency["judged_on"], latency["judged_value"]) == ("p95", 1000.0)
    errors = SnapshotSerializer(rows["error_rate", "api", "GET /r/"]).data
    assert (errors["judged_on"], errors["judged_value"]) == ("value", 0.0)


def test_requests_count_when_they_end_and_late_arrivals_are_left_out():
    buffer = RollupBuffer("host:1")
    buffer.add(make_trace(at=T0 + timedelta(seconds=59), duration_ms=1600))  # ends 12:01:00.6
    buffer.add(make_trace(at=T0 + timedelta(seconds=10)))
    first = buffer.take_closed(T0 + timedelta(seconds=80))
    assert {row.window_start for row in first} == {T0}
    assert snapshots_by(first)["response_time_ms", "api", "*"].count == 1
    buffer.add(make_trace(at=T0 + timedelta(seconds=20)))  # its window is already written
    assert buffer.late == 2  # counted for the route and for "*"
    rest = buffer.take_all()
    assert {row.window_start for row in rest} == {T0 + timedelta(minutes=1)}
    assert snapshots_by(rest)["response_time_ms", "api", "*"].p50 == 1600


def test_each_layer_has_its_total_and_routes_their_response_sizes():
    buffer = RollupBuffer("host:1")
    failed_query = make_span("database", "SELECT ?", sql="SELECT ?")
    failed_query.status = "error"
    first = make_trace(duration_ms=10, spans=[failed_query, make_span("cache", "cache.get")])
    first.root.metadata["response_size"] = 1000
    second = make_trace(duration_ms=20, status="error", spans=[make_span("database", "SELECT 1")])
    second.root.metadata["response_size"] = 3000
    streamed = make_trace(duration_ms=30)
    streamed.root.metadata["response_size"] = None  # a streaming response has no size
    for trace in (first, second, streamed):
        buffer.add(trace)
    rows = snapshots_by(buffer.take_all())
    totals = {
        layer: (row.count, row.value, row.is_alert)
        for (metric, layer, component), row in rows.items()
        if metric == "layer_error_rate"
    }
    assert totals == {"api": (3, 1 / 3, False), "database": (2, 0.5, False), "cache": (1, 0, False)}
    assert {component for metric, _, component in rows if metric == "layer_error_rate"} == {"*"}
    sizes = rows["response_size_bytes", "api", "GET /api/v1/x/"]
    assert (sizes.count, sizes.value, sizes.p50, sizes.p99) == (2, 2000, 1000, 3000)
    assert rows["response_size_bytes", "api", "*"].count == 2


def test_a_late_step_is_left_out_of_its_layer_total():
    buffer = RollupBuffer("host:1")
    buffer.add(make_trace(at=T0 + timedelta(seconds=10)))
    first = snapshots_by(buffer.take_closed(T0 + timedelta(seconds=80)))
    assert first["layer_error_rate", "api", "*"].count == 1
    buffer.add(make_trace(at=T0 + timedelta(seconds=20)))  # its window is already written
    assert buffer.take_all() == []
