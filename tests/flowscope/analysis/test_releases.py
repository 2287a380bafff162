"""Release comparison from stored workflows: a step slower in the new release is named
with the query that takes longer (also one run under a custom step), one that fails more
is named, and only real, tagged workflows count."""

from datetime import timedelta

import pytest

from flowscope.analysis import releases
from flowscope.recording import writer
from tests.flowscope.factories import T0, make_span, make_trace

pytestmark = pytest.mark.django_db

CHECKOUT = "POST /api/v1/orders/checkout/"
SITE = {"file": "shop/checkout.py", "line": 42, "function": "charge", "in_app": True}


def checkout(number, release, *, at, request_ms, query_ms, status="ok", **options):
    """A checkout whose request runs one query, under a custom step."""
    charge = make_span("custom", "charge", duration_ms=query_ms + 1, at=at)
    query = make_span(
        "database",
        "SELECT * FROM payment WHERE id = ?",
        duration_ms=query_ms,
        at=at,
        sql="SELECT * FROM payment WHERE id = ?",
        call_site=SITE,
    )
    query.parent_span_id = charge.span_id
    trace = make_trace(
        f"{release}-{number}",
        at=at,
        name=CHECKOUT,
        workflow_type="checkout",
        complete=True,
        duration_ms=request_ms,
        status=status,
        spans=[charge, query],
        query_count=1,
        **options,
    )
    trace.release = release
    return trace


def store_releases(head_request_ms=20.0, head_query_ms=5.0, head_status="ok"):
    writer.write(
        [
            checkout(i, "v1", at=T0 + timedelta(seconds=i), request_ms=20, query_ms=5)
            for i in range(5)
        ]
    )
    later = T0 + timedelta(hours=1)
    writer.write(
        [
            checkout(
                i,
                "v2",
                at=later + timedelta(seconds=i),
                request_ms=head_request_ms,
                query_ms=head_query_ms,
                status=head_status,
            )
            for i in range(5)
        ]
    )


def test_a_slower_step_is_named_with_the_query_that_takes_longer():
    store_releases(head_request_ms=300, head_query_ms=250)
    comparison = releases.compare("v1", "v2")
    [change] = comparison["changes"]
    assert (change["workflow_type"], change["step"]) == ("checkout", CHECKOUT)
    assert change["changes"] == ["slower"]
    assert (change["base"]["p95_ms"], change["head"]["p95_ms"]) == (20, 300)
    [query] = change["queries"]  # run under the custom step: still the request's query
    assert query["sql"] == "SELECT * FROM payment WHERE id = ?" and not query["new"]
    assert (query["base_ms_per_request"], query["head_ms_per_request"]) == (5, 250)
    assert query["call_site"] == SITE
    [checkouts] = comparison["workflow_types"]
    assert checkouts["base"]["workflows"] == checkouts["head"]["workflows"] == 5


def test_a_step_that_fails_more_is_named():
    store_releases(head_status="error")
    [change] = releases.compare("v1", "v2")["changes"]
    assert change["changes"] == ["failing more"]
    assert (change["base"]["error_rate"], change["head"]["error_rate"]) == (0, 1)


def test_the_same_figures_name_no_change():
    store_releases()
    comparison = releases.compare("v1", "v2")
    assert comparison["changes"] == []
    assert [row["changes"] for row in comparison["steps"]] == [[]]


def test_only_tagged_real_workflows_are_releases_latest_first():
    store_releases()
    untagged = make_trace("untagged", at=T0 + timedelta(hours=2), workflow_type="checkout")
    outside = make_trace("outside", at=T0 + timedelta(hours=2), correlation_given=False)
    outside.release = "v3"  # a request outside any workflow: not a workflow of v3
    writer.write([untagged, outside])
    listed = releases.releases()
    assert [(r["release"], r["workflows"]) for r in listed] == [("v2", 5), ("v1", 5)]
    assert listed[0]["first_seen"] == T0 + timedelta(hours=1)
    assert releases.latest_pair() == ("v1", "v2")


def test_a_step_only_the_new_release_runs_is_new_not_a_change():
    store_releases()
    later = T0 + timedelta(hours=1, minutes=5)
    added = make_trace("v2-new", at=later, name="GET /api/v1/wishlist/", workflow_type="checkout")
    added.release = "v2"
    writer.write([added])
    comparison = releases.compare("v1", "v2")
    assert comparison["changes"] == []
    marks = {row["step"]: row["changes"] for row in comparison["steps"]}
    assert marks == {CHECKOUT: [], "GET /api/v1/wishlist/": ["new"]}


def test_the_call_sites_behind_many_changes_cost_a_few_queries(django_assert_max_num_queries):
    for release, query_ms in (("v1", 5), ("v2", 250)):
        for step in range(releases.MAX_CHANGES):
            trace = checkout(step, release, at=T0, request_ms=query_ms + 20, query_ms=query_ms)
            trace.root.name = f"POST /api/v1/step-{step}/"
            trace.spans[1].metadata["call_site"] = {**SITE, "line": step}
            writer.write([trace])
    with django_assert_max_num_queries(20):
        changes = releases.compare("v1", "v2")["changes"]
    assert len(changes) == releases.MAX_CHANGES
    assert {change["queries"][0]["call_site"]["line"] for change in changes} == {0}
