"""The route rules: slow routes, failing routes, large responses."""

from datetime import timedelta

import pytest

from flowscope.analysis import period_stats
from tests.flowscope.analysis.recommendations.helpers import (
    found,
    only,
    request,
    route_with_errors,
    store,
)
from tests.flowscope.factories import T0

pytestmark = pytest.mark.django_db


def test_slow_route_over_the_warning_and_critical_response_times():
    store([request("GET /warm/", cid=f"w{i}", ms=600.0) for i in range(20)])
    store([request("GET /hot/", cid=f"h{i}", ms=2500.0) for i in range(3)])
    routes = {r["evidence"]["route"]: r for r in found("slow_route")}
    assert (routes["GET /warm/"]["severity"], routes["GET /hot/"]["severity"]) == (
        "warning",
        "critical",
    )
    warm = routes["GET /warm/"]["evidence"]
    assert (warm["requests"], warm["p50_ms"], warm["p95_ms"], warm["max_ms"]) == (20, 600, 600, 600)
    assert len(warm["examples"]) == 5


def test_percentiles_come_from_the_most_recent_requests(monkeypatch):
    monkeypatch.setattr(period_stats, "SAMPLE_SIZE", 5)
    store([request("GET /r/", at=T0 - timedelta(minutes=5), ms=900.0) for _ in range(20)])
    store([request("GET /r/", at=T0 + timedelta(seconds=i), ms=100.0 + i) for i in range(5)])
    assert found("slow_route") == []  # the slow requests are older than the sample
    store([request("GET /r/", at=T0 + timedelta(minutes=5), ms=700.0)])
    evidence = only("slow_route")["evidence"]
    assert (evidence["sample"], evidence["p50_ms"], evidence["p95_ms"]) == (5, 103, 700)
    assert (evidence["requests"], evidence["max_ms"]) == (26, 900)


def test_a_route_at_the_limit_or_with_one_outlier_is_not_slow():
    store([request("GET /edge/", ms=500.0) for _ in range(5)])
    store([request("GET /outlier/", ms=100.0) for _ in range(19)])
    store([request("GET /outlier/", ms=9000.0)])
    assert found("slow_route") == []


def test_error_rate_levels():
    store(route_with_errors("GET /flaky/", 10, 1))  # 0.1
    store(route_with_errors("GET /broken/", 10, 3))  # 0.3
    store(route_with_errors("GET /fine/", 20, 1))  # 0.05: not over
    routes = {r["evidence"]["route"]: r for r in found("high_error_rate")}
    assert {name: r["severity"] for name, r in routes.items()} == {
        "GET /flaky/": "warning",
        "GET /broken/": "critical",
    }
    broken = routes["GET /broken/"]["evidence"]
    assert (broken["requests"], broken["errors"], broken["error_rate"]) == (10, 3, 0.3)
    assert broken["recent_status_codes"] == ["500"]
    assert sorted(broken["examples"]) == ["GET /broken/-0", "GET /broken/-1", "GET /broken/-2"]


def test_error_rate_needs_enough_requests():
    store(route_with_errors("GET /new/", 9, 9))
    assert found("high_error_rate") == []


def test_large_responses_over_their_limits():
    store([request("GET /export/", response_size=600 * 1024) for _ in range(3)])
    store([request("GET /dump/", response_size=6 * 1024 * 1024)])
    store(
        [
            request("GET /edge/", response_size=500 * 1024),
            request("GET /stream/", response_size=None),
        ]
    )
    routes = {r["evidence"]["route"]: r for r in found("large_response")}
    assert {name: r["severity"] for name, r in routes.items()} == {
        "GET /export/": "warning",
        "GET /dump/": "critical",
    }
    assert routes["GET /export/"]["evidence"]["p95_bytes"] == 600 * 1024


def test_streamed_responses_have_no_size():
    store([request("GET /mixed/", response_size=size) for size in [600 * 1024, None] * 3])
    evidence = only("large_response")["evidence"]
    assert (evidence["sample"], evidence["p50_bytes"], evidence["requests"]) == (3, 600 * 1024, 6)
