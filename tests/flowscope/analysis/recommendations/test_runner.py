"""The whole run: ordering, limit, thresholds and evidence from the settings, a bounded
number of queries, and the example shop through the real middleware and writer."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flowscope.analysis.recommendations import MAX_QUERIES, recommend
from flowscope.recording import writer
from flowscope.testing import capture_traces
from shop.models import Category, Product
from tests.flowscope.analysis.recommendations.helpers import (
    SQL,
    WINDOW,
    flagged,
    found,
    lookups,
    only,
    query,
    request,
    requests_with_queries,
    route_with_errors,
    store,
    workflows,
)
from tests.flowscope.factories import T0, make_span

pytestmark = pytest.mark.django_db


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


def with_flowscope(settings, **options):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, **options}


def test_a_rule_threshold_in_the_settings_keeps_the_levels_and_metrics_it_does_not_name(settings):
    store(requests_with_queries([60.0] * 5))
    store(requests_with_queries([1500.0] * 5, sql=SQL.replace("shop_category", "shop_big")))
    store([request("GET /r/", ms=600.0)])
    assert {r["evidence"]["p95_ms"]: r["severity"] for r in found("slow_query")} == {
        1500: "critical"
    }
    with_flowscope(settings, THRESHOLDS={"slow_query_ms": {"warning": 50}})
    assert {r["evidence"]["p95_ms"]: r["severity"] for r in found("slow_query")} == {
        60: "warning",
        1500: "critical",  # the default critical level stays
    }
    assert only("slow_route")["severity"] == "warning"  # response_time_ms keeps its default


def test_a_level_set_to_none_in_the_settings_is_off(settings):
    store(workflows("browse", 3, 21))
    assert only("chatty_workflow")["severity"] == "info"
    with_flowscope(settings, THRESHOLDS={"requests_per_workflow": {"info": None}})
    assert found("chatty_workflow") == []


def test_the_evidence_minimums_come_from_the_settings(settings):
    store(route_with_errors("GET /broken/", 10, 5))
    store(lookups(0, 5))
    store(workflows("binge", 2, 60))
    store([request(spans=[make_span("cache", "cache.set", alias="writes-only")])])

    def kinds():
        return {r["kind"] for r in recommend(**WINDOW)}

    assert kinds() == {"high_error_rate"}
    with_flowscope(settings, RECOMMENDATION_MIN_EVIDENCE={"route_requests": 11})
    assert kinds() == set()  # and the minimums it does not name keep their defaults
    with_flowscope(settings, RECOMMENDATION_MIN_EVIDENCE={"cache_lookups": 0, "workflows": 2})
    assert kinds() == {"high_error_rate", "low_cache_hit_ratio", "chatty_workflow"}
    (cache,) = found("low_cache_hit_ratio")
    assert cache["evidence"]["alias"] == "default"  # an alias with no lookups has no ratio


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
    assert f"FROM {connection.ops.quote_name('shop_category')}" in evidence["sql"]
    assert evidence["call_site"]["file"].endswith("example/shop/views/products.py")
    assert "example/shop/views/products.py" in n_plus_one["suggestion"]

    slow = {r["evidence"]["route"]: r for r in result if r["kind"] == "slow_route"}
    assert slow["GET /api/v1/recommendations/"]["evidence"]["p95_ms"] >= 150
