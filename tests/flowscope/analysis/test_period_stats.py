from datetime import timedelta

import pytest

from flowscope.analysis.period_stats import RAW_SPAN, PeriodStats, reads_rollups
from tests.flowscope.analysis.stored import RAW, ROLLED_UP, store
from tests.flowscope.factories import T0, make_span, make_trace

pytestmark = pytest.mark.django_db

SHORT_SQL = 'SELECT "shop_cart"."id" FROM "shop_cart" WHERE "shop_cart"."id" = ?'
# Longer than a rollup's component (255): the rollups shorten it, the steps keep 500.
LONG_SQL = "SELECT " + ", ".join(f'"shop_product"."column_{n}"' for n in range(30)) + " FROM x"


def query(sql, ms):
    return make_span("database", sql[:500], duration_ms=ms, sql=sql)


def request(i, route, ms, *, status="ok", size=None, queries=0, spans=()):
    trace = make_trace(
        f"{route}-{i}",
        at=T0 + timedelta(seconds=i),
        duration_ms=ms,
        name=route,
        status=status,
        query_count=queries,
        spans=spans,
    )
    if size is not None:
        trace.root.metadata["response_size"] = size
    return trace


def traffic():
    traces = [
        request(
            i,
            "GET /api/v1/products/",
            50.0 + i,
            status="error" if i % 4 == 0 else "ok",
            size=1000 * (i + 1),
            queries=2,
            spans=[
                query(SHORT_SQL, 1.0 + i),
                query(LONG_SQL, 10.0 * (i + 1)),
                make_span("cache", "cache.get", alias="default", hit=i % 2 == 0),
                make_span("cache", "cache.get_many", alias="sessions", hits=2, misses=1),
            ],
        )
        for i in range(8)
    ]
    traces += [request(i, "POST /api/v1/orders/", 300.0, queries=5) for i in range(8, 11)]
    return traces


def test_the_window_rule():
    assert not reads_rollups(T0, T0 + RAW_SPAN)
    assert reads_rollups(T0, T0 + RAW_SPAN + timedelta(seconds=1))
    assert not PeriodStats(**RAW).from_rollups
    assert PeriodStats(**ROLLED_UP).from_rollups


def test_raw_aggregates():
    store(traffic())
    stats = PeriodStats(**RAW)
    products = stats.routes["GET /api/v1/products/"]
    assert (products["requests"], products["errors"]) == (8, 2)
    assert (products["avg_ms"], products["max_ms"]) == (53.5, 57.0)
    assert (products["avg_bytes"], products["max_bytes"]) == (4500, 8000)
    assert products["avg_queries"] == 2
    orders = stats.routes["POST /api/v1/orders/"]
    assert (orders["requests"], orders["avg_bytes"], orders["avg_queries"]) == (3, None, 5)
    assert list(stats.routes) == ["GET /api/v1/products/", "POST /api/v1/orders/"]
    assert stats.queries[LONG_SQL[:500]]["max_ms"] == 80.0
    assert stats.cache == [
        {"alias": "default", "operations": 8, "hits": 4, "misses": 4},
        {"alias": "sessions", "operations": 8, "hits": 16, "misses": 8},
    ]


def test_a_long_window_reads_the_same_figures_from_the_rollups():
    store(traffic())
    raw, rolled_up = PeriodStats(**RAW), PeriodStats(**ROLLED_UP)
    for route, row in raw.routes.items():
        assert rolled_up.routes[route] == pytest.approx(row), route
    assert list(rolled_up.routes) == list(raw.routes)
    # The long statement keeps its step's name, by which the rules find its steps.
    assert rolled_up.queries.keys() == raw.queries.keys()
    for sql, row in raw.queries.items():
        assert rolled_up.queries[sql] == pytest.approx(row), sql
    assert rolled_up.cache == raw.cache


def test_a_long_window_sums_every_process_rollups():
    traces = traffic()
    store(traces[:4], source="web-1:100")
    store(traces[4:], source="web-2:200")
    products = PeriodStats(**ROLLED_UP).routes["GET /api/v1/products/"]
    assert (products["requests"], products["errors"], products["avg_ms"]) == (8, 2, 53.5)
    assert products["max_ms"] == 57.0  # each process saw under 100 requests a minute


def test_a_long_window_without_rollups_is_empty():
    stats = PeriodStats(**ROLLED_UP)
    assert (stats.routes, stats.queries, stats.cache) == ({}, {}, [])


def test_a_long_window_counts_the_workflow_types_alike():
    traces = [
        make_trace(f"b-{w}", at=T0 + timedelta(seconds=r), workflow_type="browse")
        for w in range(3)
        for r in range(4)
    ]
    traces += [make_trace("c-0", at=T0, workflow_type="checkout")]
    store(traces)
    raw = PeriodStats(**RAW).workflow_types
    assert [(row["workflow_type"], row["workflows"], row["max_requests"]) for row in raw] == [
        ("browse", 3, 4),
        ("checkout", 1, 1),
    ]
    rolled_up = PeriodStats(**ROLLED_UP).workflow_types
    assert [{**row, "avg_requests": float(row["avg_requests"])} for row in raw] == rolled_up
