"""The N+1 rule: what capture flagged, grouped by route and query."""

from datetime import timedelta

import pytest

from tests.flowscope.analysis.recommendations.helpers import (
    SITE,
    SQL,
    WINDOW,
    flagged,
    found,
    only,
    request,
    store,
)

pytestmark = pytest.mark.django_db


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


def test_a_call_site_in_an_installed_package_is_named_as_library_code():
    site = {"file": "shelfcms/models.py", "line": 88, "function": "children", "in_app": False}
    store([request(n_plus_one=[{"sql": SQL, "count": 9, "call_site": site}])])
    r = only("n_plus_one")
    assert r["evidence"]["call_site"] == site
    assert r["suggestion"].startswith("At shelfcms/models.py:88 (in children, library code),")
