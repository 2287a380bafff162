"""The slow query rule."""

import pytest

from tests.flowscope.analysis.recommendations.helpers import (
    SITE,
    SQL,
    found,
    only,
    request,
    requests_with_queries,
    store,
)
from tests.flowscope.factories import make_span

pytestmark = pytest.mark.django_db


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
