"""The percentile and example rules over a window longer than 2 hours: percentiles from the
per-minute rollups (written by ``RollupBuffer`` from the same traces), examples from the
window's last 2 hours; graded as the raw steps of a short window grade them."""

from datetime import timedelta

import pytest

from flowscope.analysis.recommendations import recommend
from tests.flowscope.analysis.recommendations.helpers import (
    SITE,
    SQL,
    WINDOW,
    query,
    request,
    route_with_errors,
    workflows,
)
from tests.flowscope.analysis.stored import store
from tests.flowscope.factories import T0

pytestmark = pytest.mark.django_db

LONG = {"since": T0 - timedelta(hours=23), "until": T0 + timedelta(hours=1)}
# The traffic (at T0 and just after) is over 2 hours before the end of this one.
LONG_AND_QUIET_SINCE = {"since": T0 - timedelta(hours=20), "until": T0 + timedelta(hours=4)}


def by_kind(kind, window):
    return [r for r in recommend(**window) if r["kind"] == kind]


def same_grades(kind, key):
    """``{group: severity}`` of ``kind`` in the short (raw) and the long window, asserted
    equal and not empty; the long window's recommendations."""
    short, long = by_kind(kind, WINDOW), by_kind(kind, LONG)
    grades = {r["evidence"][key]: r["severity"] for r in short}
    assert grades
    assert {r["evidence"][key]: r["severity"] for r in long} == grades
    return {r["evidence"][key]: r for r in long}


def spaced(traces):
    """One request every 10 s (so over several minutes, each a rollup row of its own)."""
    for i, trace in enumerate(traces):
        shift = timedelta(seconds=10 * i)
        for span in (trace.root, *trace.spans):
            span.started_at += shift
    return traces


def test_slow_routes_are_graded_alike_and_show_their_own_requests():
    store(
        spaced([request("GET /warm/", cid=f"w{i}", ms=600.0 + i) for i in range(30)])
        + spaced([request("GET /hot/", cid=f"h{i}", ms=2500.0) for i in range(12)])
        + spaced([request("GET /fast/", cid=f"f{i}", ms=50.0) for i in range(30)])
    )
    routes = same_grades("slow_route", "route")
    assert routes.keys() == {"GET /warm/", "GET /hot/"}
    warm = routes["GET /warm/"]["evidence"]
    assert warm["requests"] == 30 and 600 <= warm["p95_ms"] <= 629
    assert set(warm["examples"]) <= {f"w{i}" for i in range(30)}
    assert warm["examples"][0] == "w29"  # the slowest first
    assert len(warm["examples"]) == 5


def test_slow_queries_are_graded_alike_and_keep_their_sql_and_call_site():
    slow = [request(cid=f"q{i}", spans=[query(ms=150.0 + i)]) for i in range(20)]
    store(spaced(slow))
    (recommendation,) = same_grades("slow_query", "sql").values()
    evidence = recommendation["evidence"]
    assert (evidence["sql"], evidence["call_site"], evidence["count"]) == (SQL, SITE, 20)
    assert set(evidence["examples"]) <= {f"q{i}" for i in range(20)}
    assert evidence["examples"]


def test_large_responses_are_graded_alike():
    store(
        spaced([request("GET /export/", cid=f"e{i}", response_size=600 << 10) for i in range(5)])
        + spaced([request("GET /dump/", cid=f"d{i}", response_size=6 << 20) for i in range(3)])
    )
    routes = same_grades("large_response", "route")
    assert routes.keys() == {"GET /export/", "GET /dump/"}
    assert set(routes["GET /dump/"]["evidence"]["examples"]) == {"d0", "d1", "d2"}


def test_failing_routes_are_graded_alike_and_show_their_failed_requests():
    store(
        spaced(route_with_errors("GET /broken/", 10, 3))
        + spaced(route_with_errors("GET /flaky/", 10, 1))
    )
    routes = same_grades("high_error_rate", "route")
    assert sorted(routes["GET /broken/"]["evidence"]["examples"]) == [
        "GET /broken/-0",
        "GET /broken/-1",
        "GET /broken/-2",
    ]
    assert routes["GET /broken/"]["evidence"]["recent_status_codes"] == ["500"]


def test_chatty_workflows_are_graded_alike():
    store(workflows("browse", 3, 21))
    chatty = same_grades("chatty_workflow", "workflow_type")
    assert sorted(chatty["browse"]["evidence"]["examples"]) == ["browse-0", "browse-1", "browse-2"]


def test_a_group_quiet_in_the_last_2_hours_is_reported_without_examples():
    store(spaced([request("GET /hot/", cid=f"h{i}", ms=2500.0) for i in range(12)]))
    (recommendation,) = by_kind("slow_route", LONG_AND_QUIET_SINCE)
    assert recommendation["severity"] == "critical"
    assert recommendation["evidence"]["examples"] == []
