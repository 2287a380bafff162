import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flowscope.analysis import period_stats
from flowscope.analysis.recommendations import MAX_QUERIES, recommend
from flowscope.recording import writer
from flowscope.testing import capture_traces
from shop.models import Category, Product
from tests.flowscope.factories import T0, make_span, make_trace

pytestmark = pytest.mark.django_db

WINDOW = {"since": T0 - timedelta(hours=1), "until": T0 + timedelta(hours=1)}
SQL = 'SELECT "shop_category"."id" FROM "shop_category" WHERE "shop_category"."id" = ? LIMIT ?'
SITE = {"file": "/app/shop/views.py", "line": 42, "function": "get"}


def request(name="GET /api/v1/x/", *, cid="wf-1", ms=100.0, at=T0, status="ok", **metadata):
    """A request (one API step) with extra metadata, as the middleware would describe it."""
    spans = metadata.pop("spans", ())
    trace = make_trace(cid, at=at, duration_ms=ms, name=name, status=status, spans=spans)
    trace.root.metadata.update(metadata)
    return trace


def store(traces):
    writer.write(list(traces))


def found(kind, **kwargs):
    return [r for r in recommend(**WINDOW, **kwargs) if r["kind"] == kind]


def only(kind, **kwargs):
    (recommendation,) = found(kind, **kwargs)
    return recommendation


def query(sql=SQL, ms=5.0, **metadata):
    return make_span("database", sql[:500], duration_ms=ms, sql=sql, call_site=SITE, **metadata)


def lookup(hit, alias="default"):
    return make_span("cache", "cache.get", alias=alias, operation="get", hit=hit)


# n_plus_one ---------------------------------------------------------------------------------


def flagged(name="GET /api/v1/products/<int:pk>/related/", cid="wf-1", sql=SQL, count=12):
    return request(name, cid=cid, n_plus_one=[{"sql": sql, "count": count, "call_site": SITE}])


def test_n_plus_one_names_the_route_the_query_and_where():
    store([flagged(cid="a", count=8), flagged(cid="b", count=12), request(cid="c")])
    r = only("n_plus_one")
    assert r["severity"] == "warning"
    evidence = dict(r["evidence"])
    assert sorted(evidence.pop("examples")) == ["a", "b"]
    assert evidence == {
        "route": "GET /api/v1/products/<int:pk>/related/",
        "sql": SQL,
        "occurrences": 2,
        "route_requests": 2,
        "max_repeats": 12,
        "call_site": SITE,
    }
    assert "select_related()" in r["suggestion"] and "prefetch_related()" in r["suggestion"]
    assert "/app/shop/views.py:42 (in get)" in r["suggestion"]
    assert "shop_category" in r["explanation"]


def test_n_plus_one_groups_by_route_and_query():
    other_sql = SQL.replace("shop_category", "shop_brand")
    store(
        [
            flagged(),
            flagged("GET /api/v1/orders/"),
            request(
                "GET /api/v1/orders/",
                n_plus_one=[
                    {"sql": SQL, "count": 6, "call_site": SITE},
                    {"sql": other_sql, "count": 5, "call_site": None},
                ],
            ),
        ]
    )
    groups = {(r["evidence"]["route"], r["evidence"]["sql"]): r for r in found("n_plus_one")}
    assert set(groups) == {
        ("GET /api/v1/products/<int:pk>/related/", SQL),
        ("GET /api/v1/orders/", SQL),
        ("GET /api/v1/orders/", other_sql),
    }
    assert groups["GET /api/v1/orders/", SQL]["evidence"]["occurrences"] == 2
    assert "unknown call site" in groups["GET /api/v1/orders/", other_sql]["suggestion"]


def test_n_plus_one_keeps_five_examples():
    store([flagged(cid=f"wf-{i}") for i in range(8)])
    r = only("n_plus_one")
    assert (r["evidence"]["occurrences"], len(r["evidence"]["examples"])) == (8, 5)


def test_no_n_plus_one_without_a_flag_or_outside_the_window():
    early, late = flagged(cid="early"), flagged(cid="late")
    early.root.started_at = WINDOW["since"] - timedelta(seconds=1)
    late.root.started_at = WINDOW["until"]  # the window ends before "until"
    store([request(cid="plain"), early, late])
    assert found("n_plus_one") == []


def test_n_plus_one_is_critical_when_its_repeats_pass_the_critical_query_count():
    store([flagged(cid="a", count=30), flagged("GET /b/", cid="b", count=31)])
    severities = {
        r["evidence"]["route"]: r["severity"]
        for r in found("n_plus_one", thresholds={"query_count": {"critical": 30}})
    }
    assert severities == {
        "GET /api/v1/products/<int:pk>/related/": "warning",
        "GET /b/": "critical",
    }


# slow_query ---------------------------------------------------------------------------------


def requests_with_queries(durations, sql=SQL, cid="wf-1"):
    return [request(cid=cid, spans=[query(sql, ms)]) for ms in durations]


def test_slow_query_reports_its_percentiles_and_call_site():
    store(requests_with_queries([float(ms) for ms in range(101, 121)], cid="slow"))
    r = only("slow_query")
    assert r["severity"] == "warning"
    evidence = r["evidence"]
    assert (evidence["sql"], evidence["count"], evidence["sample"]) == (SQL, 20, 20)
    assert (evidence["p50_ms"], evidence["p95_ms"], evidence["max_ms"]) == (110, 119, 120)
    assert evidence["call_site"] == SITE
    assert evidence["examples"] == ["slow"]
    assert "shop_category" in r["suggestion"]


def test_a_query_at_the_limit_or_with_one_outlier_is_not_slow():
    fast = SQL.replace("shop_category", "shop_fast")
    store(requests_with_queries([100.0] * 20))
    store(requests_with_queries([10.0] * 19 + [5000.0], sql=fast))
    assert found("slow_query") == []


def test_a_very_slow_query_is_critical():
    store(requests_with_queries([1500.0] * 5))
    assert only("slow_query")["severity"] == "critical"


def test_queries_without_sql_metadata_group_by_name():
    span = make_span("database", "SELECT * FROM orders", duration_ms=300.0)  # from OpenTelemetry
    store([request(spans=[span])])
    assert only("slow_query")["evidence"]["sql"] == "SELECT * FROM orders"


# slow_route ---------------------------------------------------------------------------------


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


# low_cache_hit_ratio ------------------------------------------------------------------------


def lookups(hits, misses, alias="default"):
    spans = [lookup(True, alias) for _ in range(hits)] + [
        lookup(False, alias) for _ in range(misses)
    ]
    return [request(spans=spans)]


def test_cache_hit_ratio_levels_at_their_edges():
    store(lookups(4, 16, alias="at-critical"))  # 0.2: not under the critical 0.2
    store(lookups(3, 17, alias="under-critical"))  # 0.15
    store(lookups(10, 10, alias="at-warning"))  # 0.5: fine
    severities = {r["evidence"]["alias"]: r["severity"] for r in found("low_cache_hit_ratio")}
    assert severities == {"at-critical": "warning", "under-critical": "critical"}


def test_cache_ratio_counts_get_many_and_ignores_writes():
    many = make_span("cache", "cache.get_many", alias="default", hits=2, misses=8)
    writes = [make_span("cache", "cache.set", alias="default") for _ in range(30)]
    store([request(spans=[many, *writes, *[lookup(False) for _ in range(10)]])])
    evidence = only("low_cache_hit_ratio")["evidence"]
    assert evidence == {
        "alias": "default",
        "lookups": 20,
        "hits": 2,
        "misses": 18,
        "hit_ratio": 0.1,
    }


def test_too_few_lookups_are_no_evidence():
    store(lookups(0, 19))
    assert found("low_cache_hit_ratio") == []


# high_error_rate ----------------------------------------------------------------------------


def route_with_errors(name, total, errors):
    return [
        request(
            name,
            cid=f"{name}-{i}",
            status="error" if i < errors else "ok",
            status_code=500 if i < errors else 200,
        )
        for i in range(total)
    ]


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


# large_response -----------------------------------------------------------------------------


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


# chatty_workflow ----------------------------------------------------------------------------


def workflows(kind, count, requests):
    return [
        make_trace(f"{kind}-{w}", at=T0 + timedelta(seconds=r), workflow_type=kind)
        for w in range(count)
        for r in range(requests)
    ]


def test_chatty_workflows_by_average_requests():
    store(workflows("browse", 3, 21))  # info
    store(workflows("binge", 3, 51))  # warning
    store(workflows("checkout", 3, 20))  # at the limit
    store(workflows("rare", 2, 60))  # too few workflows
    chatty = {r["evidence"]["workflow_type"]: r for r in found("chatty_workflow")}
    assert {kind: r["severity"] for kind, r in chatty.items()} == {
        "browse": "info",
        "binge": "warning",
    }
    evidence = chatty["browse"]["evidence"]
    assert (evidence["workflows"], evidence["avg_requests"], evidence["max_requests"]) == (
        3,
        21,
        21,
    )
    assert sorted(evidence["examples"]) == ["browse-0", "browse-1", "browse-2"]


# the whole run --------------------------------------------------------------------------------


def test_an_empty_window_has_no_recommendations():
    store([flagged(), *route_with_errors("GET /broken/", 10, 10)])
    assert recommend(T0 + timedelta(hours=2), T0 + timedelta(hours=3)) == []
    assert recommend(T0 - timedelta(hours=3), T0 - timedelta(hours=2)) == []


def test_most_important_first_and_limited():
    store([request("GET /hot/", cid=f"h{i}", ms=2500.0) for i in range(3)])  # critical
    store([flagged(cid=f"n{i}") for i in range(50)])  # warning, busy
    store([flagged("GET /rare/", cid="r")])  # warning, once
    result = recommend(**WINDOW)
    assert [(r["kind"], r["severity"]) for r in result] == [
        ("slow_route", "critical"),
        ("n_plus_one", "warning"),
        ("n_plus_one", "warning"),
    ]
    assert result[1]["evidence"]["occurrences"] == 50
    assert [r["score"] for r in result] == sorted((r["score"] for r in result), reverse=True)
    assert recommend(**WINDOW, limit=1) == result[:1]


def test_thresholds_override_the_settings_level_by_level():
    store([request("GET /r/", ms=600.0)])
    assert only("slow_route")["severity"] == "warning"
    assert found("slow_route", thresholds={"response_time_ms": {"warning": 1000}}) == []
    raised = only("slow_route", thresholds={"response_time_ms": {"critical": 550}})
    assert raised["severity"] == "critical"
    lowered = {"slow_query_ms": {"warning": 1}, "response_size_bytes": {"warning": 10}}
    store([request("GET /s/", response_size=20, spans=[query(ms=2.0)])])
    assert {r["kind"] for r in found("slow_query", thresholds=lowered)} == {"slow_query"}
    assert {r["kind"] for r in found("large_response", thresholds=lowered)} == {"large_response"}


def test_settings_thresholds_are_used(settings):
    store([request("GET /r/", ms=300.0)])
    assert found("slow_route") == []
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "THRESHOLDS": {"response_time_ms": {"warning": 200, "critical": 2000}},
    }
    assert only("slow_route")["severity"] == "warning"


def everything(scale):
    """Data that triggers every rule, ``scale`` times over."""
    traces = []
    for i in range(scale):
        traces += [flagged(cid=f"n{i}")]
        traces += requests_with_queries([150.0, 200.0], cid=f"q{i}")
        traces += [request("GET /slow/", cid=f"s{i}", ms=900.0, response_size=900_000)]
        traces += lookups(1, 30, alias=f"alias-{i % 3}")
        traces += route_with_errors(f"GET /broken-{i % 4}/", 10, 5)
        traces += workflows(f"chatty-{i % 2}", 3, 21)
    return traces


def test_a_bounded_number_of_queries_whatever_the_data_size(django_assert_max_num_queries):
    store(everything(2))
    with django_assert_max_num_queries(MAX_QUERIES):
        small = recommend(**WINDOW, limit=None)
    assert {r["kind"] for r in small} == {
        "n_plus_one",
        "slow_query",
        "slow_route",
        "low_cache_hit_ratio",
        "high_error_rate",
        "large_response",
        "chatty_workflow",
    }
    json.dumps(small)  # plain data, on every database
    store(everything(12))
    with CaptureQueriesContext(connection) as queries:
        big = recommend(**WINDOW, limit=None)
    assert len(queries) == MAX_QUERIES  # every query of the docstring, and no more
    assert len(big) > len(small)


# the example shop, through the real middleware and writer ----------------------------------


@pytest.fixture
def shelf(db):
    books = Category.objects.create(name="Books", slug="books")
    return [
        Product.objects.create(
            category=books, name=f"Novel {i}", slug=f"novel-{i}", price=Decimal("9.50"), stock=5
        )
        for i in range(15)
    ]


def test_the_shops_deliberate_n_plus_one_and_slow_endpoint_are_found(client, settings, shelf):
    settings.SHOP_SLOW_ENDPOINT_DELAY_MS = 150
    since = timezone.now() - timedelta(seconds=1)
    with capture_traces() as traces:
        for product in shelf[:3]:
            assert client.get(f"/api/v1/products/{product.pk}/related/").status_code == 200
        assert client.get("/api/v1/recommendations/").status_code == 200
    writer.write(traces)
    result = recommend(since, thresholds={"response_time_ms": {"warning": 100, "critical": 10_000}})

    (n_plus_one,) = [r for r in result if r["kind"] == "n_plus_one"]
    evidence = n_plus_one["evidence"]
    assert evidence["route"] == "GET /api/v1/products/<int:pk>/related/"
    assert evidence["occurrences"] == 3 and evidence["max_repeats"] == 12
    assert 'FROM "shop_category"' in evidence["sql"]
    assert evidence["call_site"]["file"].endswith("example/shop/views/products.py")
    assert "example/shop/views/products.py" in n_plus_one["suggestion"]

    slow = {r["evidence"]["route"]: r for r in result if r["kind"] == "slow_route"}
    assert slow["GET /api/v1/recommendations/"]["evidence"]["p95_ms"] >= 150
