from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from flowscope.recording import writer
from tests.flowscope.factories import T0, make_error, make_span, make_trace

URL = "/api/v1/debugging/workflows/"
pytestmark = pytest.mark.django_db


def checkout(cid, at, declined=False, cache_hit=True):
    """A login and a checkout request; the declined one fails at payment."""
    login = make_trace(
        cid,
        at=at,
        name="POST /api/v1/auth/login/",
        workflow_type="checkout",
        spans=[make_span("database", "SELECT user", sql="SELECT user", at=at)],
    )
    pay_at = at + timedelta(seconds=1)
    spans = [
        make_span("cache", "cache.get", at=pay_at, key="catalog:product:1", hit=cache_hit),
        make_span("database", "SELECT product", duration_ms=20, sql="SELECT product", at=pay_at),
        make_span("external", "payment_gateway.charge", duration_ms=120, at=pay_at),
    ]
    if declined:
        spans.append(make_span("database", "ROLLBACK", sql="ROLLBACK", at=pay_at))
    pay = make_trace(
        cid,
        at=pay_at,
        name="POST /api/v1/orders/checkout/",
        duration_ms=300 if declined else 200,
        spans=spans,
        complete=not declined,
        status="error" if declined else "ok",
        errors=[make_error("402 Payment Required", error_type="HTTP 402")] if declined else (),
    )
    pay.root.metadata["status_code"] = 402 if declined else 201
    writer.write([login, pay])


@pytest.fixture
def workflows(db):
    checkout("good-1", T0)
    checkout("good-2", T0 + timedelta(minutes=1))
    checkout("bad-1", T0 + timedelta(minutes=2), declined=True, cache_hit=False)
    writer.write(
        [
            make_trace(
                "browse-1",
                at=T0 + timedelta(minutes=3),
                name="GET /api/v1/products/",
                workflow_type="product_fetch",
            )
        ]
    )


def correlation_ids(response):
    assert response.status_code == 200, response.json()
    return [w["correlation_id"] for w in response.json()["results"]]


def test_list_newest_first_with_counts(staff_client, workflows):
    body = staff_client.get(URL).json()
    assert body["count"] == 4
    first = body["results"][0]
    assert first["correlation_id"] == "browse-1"
    bad = next(w for w in body["results"] if w["correlation_id"] == "bad-1")
    assert (bad["status"], bad["workflow_type"], bad["request_count"], bad["error_count"]) == (
        "failed",
        "checkout",
        2,
        1,
    )


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status": "failed"}, ["bad-1"]),
        ({"type": "product_fetch"}, ["browse-1"]),
        ({"has_errors": "true"}, ["bad-1"]),
        ({"q": "good"}, ["good-2", "good-1"]),
        (
            {
                "started_after": (T0 + timedelta(minutes=1)).isoformat(),
                "started_before": (T0 + timedelta(minutes=3)).isoformat(),
            },
            ["bad-1", "good-2"],
        ),
        ({"ordering": "started_at", "type": "checkout"}, ["good-1", "good-2", "bad-1"]),
        ({"route": "GET /api/v1/products/"}, ["browse-1"]),
        ({"route": "/api/v1/orders/checkout/"}, ["bad-1", "good-2", "good-1"]),
        ({"route": "/api/v1/orders/"}, []),
        ({"error_type": "HTTP 402"}, ["bad-1"]),
        ({"min_duration_ms": "1250"}, ["bad-1"]),
        ({"max_duration_ms": "1200", "type": "checkout"}, ["good-2", "good-1"]),
    ],
)
def test_filters_and_ordering(staff_client, workflows, query, expected):
    assert correlation_ids(staff_client.get(URL, query)) == expected


def test_search_finds_a_user_by_the_start_of_their_name(staff_client, workflows):
    shopper = get_user_model().objects.create_user("Margaret")
    trace = make_trace("by-user", at=T0 + timedelta(minutes=4), workflow_type="checkout")
    trace.user_id = shopper.pk
    writer.write([trace])
    assert correlation_ids(staff_client.get(URL, {"q": "marg"})) == ["by-user"]
    assert correlation_ids(staff_client.get(URL, {"q": "by-"})) == ["by-user"]
    assert correlation_ids(staff_client.get(URL, {"user": "Margaret"})) == ["by-user"]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"status": "exploded"}, "status"),
        ({"started_after": "yesterday"}, "started_after"),
        ({"q": "x" * 151}, "q"),
        ({"min_duration_ms": "fast"}, "min_duration_ms"),
        ({"max_duration_ms": ""}, "max_duration_ms"),
        ({"route": ""}, "route"),
        ({"q": ""}, "q"),
        ({"user": ""}, "user"),
        ({"type": ""}, "type"),
        ({"error_type": ""}, "error_type"),
        ({"kind": ""}, "kind"),
        ({"kind": "page"}, "kind"),
    ],
)
def test_bad_filters_are_400_naming_the_field(staff_client, workflows, query, field):
    response = staff_client.get(URL, query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_requests_outside_workflows_are_listed_apart(staff_client, workflows):
    outside = make_trace(
        "req-1", at=T0 + timedelta(minutes=5), name="GET /shop/", correlation_given=False
    )
    writer.write([outside])
    assert "req-1" not in correlation_ids(staff_client.get(URL))
    response = staff_client.get(URL, {"kind": "request"})
    assert correlation_ids(response) == ["req-1"]
    trace = response.json()["results"][0]
    assert (trace["kind"], trace["status"], trace["duration_ms"]) == ("request", "completed", 100)
    assert correlation_ids(staff_client.get(URL, {"kind": "all", "q": "req"})) == ["req-1"]
    assert len(correlation_ids(staff_client.get(URL, {"kind": "all"}))) == 5
    assert staff_client.get(f"{URL}req-1/").json()["workflow"]["kind"] == "request"


def test_page_size_is_bounded(staff_client, workflows, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "PAGE_SIZE": 2, "MAX_PAGE_SIZE": 3}
    assert len(staff_client.get(URL).json()["results"]) == 2
    assert len(staff_client.get(URL, {"page_size": 1000}).json()["results"]) == 3


def test_empty_list(staff_client, db):
    assert staff_client.get(URL).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_detail_has_the_tree_errors_and_timing_analysis(staff_client, workflows):
    body = staff_client.get(f"{URL}bad-1/").json()
    assert body["workflow"]["status"] == "failed"
    login, pay = body["steps"]
    assert [c["layer"] for c in pay["children"]] == ["cache", "database", "external", "database"]
    assert pay["offset_ms"] == 1000
    assert body["errors"][0]["error_type"] == "HTTP 402"
    analysis = body["analysis"]
    assert analysis["time_per_layer"]["external"]["total_ms"] == 120
    assert analysis["critical_path"][:1] == [login["span_id"]]
    assert pay["span_id"] in analysis["critical_path"]
    assert analysis["slowest_steps"][0] == pay["children"][2]["span_id"]
    assert {q["sql"] for q in analysis["queries"]} == {"SELECT user", "SELECT product", "ROLLBACK"}
    assert analysis["cache"] == {"hits": 0, "misses": 1, "hit_ratio": 0.0}


def test_unknown_or_malformed_ids(staff_client, workflows):
    assert staff_client.get(f"{URL}nope/").status_code == 404
    response = staff_client.get(f"{URL}bad%20id/")
    assert response.status_code == 400
    assert "correlation_id" in response.json()["errors"]


def test_compare_a_failed_checkout_with_the_last_good_one(staff_client, workflows):
    body = staff_client.get(f"{URL}bad-1/compare/", {"with": "last_success"}).json()
    assert (body["subject"], body["baseline"]) == ("bad-1", "good-2")
    assert body["status"] == {"subject": "failed", "baseline": "completed"}
    first = body["first_divergence"]
    assert (first["name"], first["diverged"]) == (
        "POST /api/v1/orders/checkout/",
        "status code differs",
    )
    assert first["duration_delta_ms"] == 100
    assert body["queries"]["added"] == [{"sql": "ROLLBACK", "count": 1}]
    assert body["cache_hits_became_misses"] == ["catalog:product:1"]
    assert body["new_errors"][0]["error_type"] == "HTTP 402"


def test_compare_with_a_named_workflow_and_bad_input(staff_client, workflows):
    assert (
        staff_client.get(f"{URL}good-1/compare/", {"with": "good-2"}).json()["first_divergence"]
        is None
    )
    assert staff_client.get(f"{URL}good-1/compare/").status_code == 400
    assert staff_client.get(f"{URL}good-1/compare/", {"with": "ghost"}).status_code == 404
    response = staff_client.get(f"{URL}browse-1/compare/", {"with": "last_success"})
    assert response.status_code == 404
    assert "No completed product_fetch" in response.json()["detail"]


def test_a_workflow_that_never_ended_shows_what_was_recorded(staff_client, db):
    """A 205 ms request days ago is 205 ms, not the time since it started."""
    writer.write([make_trace("timed-out", duration_ms=150)])
    writer.time_out_idle_workflows(T0 + timedelta(hours=1), timeout_seconds=1800)
    writer.write([make_trace("never-ended", duration_ms=205)])
    checkout("completed", T0)
    found = {w["correlation_id"]: w for w in staff_client.get(URL).json()["results"]}
    shown = {
        cid: (w["status"], w["ended"], w["duration_ms"], w["elapsed_ms"])
        for cid, w in found.items()
    }
    assert shown == {
        "never-ended": ("in_progress", False, None, 205.0),
        "timed-out": ("timed_out", True, 150.0, 150.0),
        "completed": ("completed", True, 1200.0, 1200.0),
    }
    detail = staff_client.get(f"{URL}never-ended/").json()["workflow"]
    assert (detail["ended"], detail["elapsed_ms"]) == (False, 205.0)
