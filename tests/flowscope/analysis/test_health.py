from datetime import timedelta

import pytest

from flowscope.analysis.health import layer_health
from tests.flowscope.analysis.stored import RAW, ROLLED_UP, store
from tests.flowscope.factories import T0, make_span, make_trace

pytestmark = pytest.mark.django_db

THRESHOLDS = {
    "error_rate": {"warning": 0.05, "critical": 0.2},
    "response_time_ms": {"warning": 500, "critical": 2000},
}

# A layer without steps in the window.
UNKNOWN = {
    "status": "unknown",
    "count": 0,
    "throughput_rpm": 0.0,
    "error_rate": None,
    "p50_ms": None,
    "p95_ms": None,
}


def traffic():
    """20 requests, 3 failed (15 %: degraded); a slow database (critical) and a quiet cache."""
    traces = []
    for i in range(20):
        query = make_span("database", "SELECT ?", duration_ms=2500.0 if i < 2 else 30.0)
        lookup = make_span("cache", "cache.get", hit=True)
        traces.append(
            make_trace(
                f"wf-{i}",
                at=T0 + timedelta(seconds=i),
                duration_ms=100.0 + i,
                status="error" if i < 3 else "ok",
                spans=[query, lookup],
            )
        )
    return traces


def statuses(health):
    overall, layers = health
    return overall, {layer: entry["status"] for layer, entry in layers.items()}


def test_statuses_from_counts_and_recent_durations():
    store(traffic())
    overall, layers = layer_health(**RAW, thresholds=THRESHOLDS)
    assert (layers["api"]["count"], layers["api"]["error_rate"]) == (20, 0.15)
    assert layers["api"]["status"] == "degraded"
    assert (layers["database"]["p95_ms"], layers["database"]["status"]) == (2500.0, "critical")
    assert layers["cache"]["status"] == "healthy"
    assert layers["frontend"] == UNKNOWN
    assert overall == "critical"


def test_a_long_window_reads_the_rollups_and_judges_alike():
    store(traffic())
    short, long = (layer_health(**window, thresholds=THRESHOLDS) for window in (RAW, ROLLED_UP))
    assert statuses(long) == statuses(short)
    for layer in ("api", "database", "cache"):
        for key in ("count", "error_rate", "p50_ms", "p95_ms"):
            assert long[1][layer][key] == short[1][layer][key], (layer, key)
    assert long[1]["api"]["throughput_rpm"] == round(20 / (24 * 60), 3)


def test_a_long_window_counts_every_process_rollups():
    store(traffic()[:10], source="web-1:100")
    store(traffic()[10:], source="web-2:200")
    _, layers = layer_health(**ROLLED_UP, thresholds=THRESHOLDS)
    assert (layers["api"]["count"], layers["api"]["error_rate"]) == (20, 0.15)


def test_a_long_window_without_rollups_is_unknown_not_an_error():
    layers = ("frontend", "api", "database", "cache", "external")
    assert layer_health(**ROLLED_UP) == ("unknown", dict.fromkeys(layers, UNKNOWN))


def test_manual_test_runs_are_not_the_systems_health():
    runs = traffic()
    for run in runs:
        run.workflow_metadata["synthetic"] = True  # as capture marks a manual test run
    store([*runs[:5], *traffic()[5:]])
    _, layers = layer_health(**RAW, thresholds=THRESHOLDS)
    assert (layers["api"]["count"], layers["api"]["error_rate"]) == (15, 0.0)
    assert layers["database"]["p95_ms"] == 30.0
