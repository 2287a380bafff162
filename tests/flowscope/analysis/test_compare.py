"""A failed workflow against a good one, step by step: built in memory, as the store returns
them."""

from flowscope.analysis.compare import compare
from flowscope.models import ErrorLog, WorkflowSession
from tests.flowscope.factories import make_step as step

LOGIN, PRODUCT, CHECKOUT = "POST /login/", "GET /products/<pk>/", "POST /checkout/"


def request(span_id, name, start_ms, duration_ms, status_code=200, status="ok"):
    return step(
        span_id,
        "api",
        start_ms,
        duration_ms,
        name=name,
        status=status,
        **{"status_code": status_code},
    )


def workflow(correlation_id, status="completed", duration_ms=500.0):
    return WorkflowSession(correlation_id=correlation_id, status=status, duration_ms=duration_ms)


def error(fingerprint, message="declined"):
    return ErrorLog(error_type="HTTP 402", message=message, fingerprint=fingerprint)


def good_steps():
    return [
        request("g1", LOGIN, 0, 30),
        request("g2", PRODUCT, 100, 20),
        request("g3", PRODUCT, 200, 20),
        request("g4", CHECKOUT, 300, 150, status_code=201),
        step("g4q", "database", 310, 10, parent="g4", sql="SELECT cart"),
        step("g4c", "cache", 320, 1, parent="g4", key="product:1", hit=True),
    ]


def failed_steps():
    return [
        request("f1", LOGIN, 0, 35),
        request("f2", PRODUCT, 100, 25),
        request("f4", CHECKOUT, 300, 400, status_code=402, status="error"),
        *(
            step(f"f4q{i}", "database", 310 + i, 10, parent="f4", sql="SELECT cart")
            for i in range(3)
        ),
        step("f4s", "database", 330, 5, parent="f4", sql="SELECT stock"),
        step("f4c", "cache", 340, 1, parent="f4", key="product:1", hit=False),
    ]


def diff(subject_errors=(), baseline_errors=(), subject=None, baseline=None):
    return compare(
        subject or workflow("bad", "failed", 900.0),
        failed_steps(),
        list(subject_errors),
        baseline or workflow("good"),
        good_steps(),
        list(baseline_errors),
    )


def test_requests_are_matched_by_route_and_by_order():
    rows = diff()["requests"]
    assert [(r["name"], r["occurrence"]) for r in rows] == [
        (LOGIN, 1),
        (PRODUCT, 1),
        (CHECKOUT, 1),
        (PRODUCT, 2),  # only the good one asked twice: listed after the subject's
    ]
    login, product, checkout, second = rows
    assert (login["subject"]["span_id"], login["baseline"]["span_id"]) == ("f1", "g1")
    assert login["duration_delta_ms"] == 5.0
    assert (product["diverged"], login["diverged"]) == ("", "")
    assert checkout["subject"]["status_code"] == 402
    assert checkout["duration_delta_ms"] == 250.0
    assert second["subject"] is None and second["duration_delta_ms"] is None
    assert second["diverged"] == "missing in subject"


def test_the_first_divergence_is_the_first_request_that_went_otherwise():
    result = diff()
    assert result["first_divergence"]["name"] == CHECKOUT
    assert result["first_divergence"]["diverged"] == "status code differs"
    assert (result["subject"], result["baseline"]) == ("bad", "good")
    assert result["status"] == {"subject": "failed", "baseline": "completed"}
    assert result["duration_delta_ms"] == 400.0


def test_a_request_only_the_subject_made_is_missing_in_the_baseline():
    baseline = [request("g1", LOGIN, 0, 30)]
    subject = [request("f1", LOGIN, 0, 30), request("f2", LOGIN, 50, 30)]
    result = compare(workflow("b"), subject, [], workflow("g"), baseline, [])
    assert [r["diverged"] for r in result["requests"]] == ["", "missing in baseline"]
    assert result["first_divergence"]["occurrence"] == 2


def test_same_status_code_but_a_failed_step_is_a_divergence():
    baseline = [request("g1", LOGIN, 0, 30)]
    subject = [request("f1", LOGIN, 0, 30, status="error")]
    result = compare(workflow("b"), subject, [], workflow("g"), baseline, [])
    assert result["first_divergence"]["diverged"] == "status differs"


def test_identical_workflows_do_not_diverge():
    result = compare(workflow("b"), good_steps(), [], workflow("g"), good_steps(), [])
    assert result["first_divergence"] is None
    assert result["queries"] == {"added": [], "missing": [], "count_changed": []}
    assert result["cache_hits_became_misses"] == []
    assert set(result["layer_self_time_delta_ms"].values()) == {0.0}


def test_query_changes_name_added_missing_and_recounted_queries():
    queries = diff()["queries"]
    assert queries == {
        "added": [{"sql": "SELECT stock", "count": 1}],
        "missing": [],
        "count_changed": [{"sql": "SELECT cart", "subject": 3, "baseline": 1}],
    }
    reverse = compare(workflow("g"), good_steps(), [], workflow("b"), failed_steps(), [])
    assert reverse["queries"]["missing"] == [{"sql": "SELECT stock", "count": 1}]


def test_cache_keys_the_baseline_hit_and_the_subject_missed():
    assert diff()["cache_hits_became_misses"] == ["product:1"]


def test_self_time_per_layer_changes():
    deltas = diff()["layer_self_time_delta_ms"]
    # api: 35+25+(400-35-1) - (30+20+20+(150-11)); database: 35 - 10; cache: 1 - 1
    assert deltas == {"api": 215.0, "cache": 0.0, "database": 25.0}


def test_only_errors_the_baseline_did_not_have_are_new():
    result = diff(
        subject_errors=[error("known", "slow"), error("fresh", "card declined")],
        baseline_errors=[error("known", "slow")],
    )
    assert result["new_errors"] == [
        {"error_type": "HTTP 402", "message": "card declined", "fingerprint": "fresh"}
    ]


def test_a_workflow_still_running_has_no_duration_delta():
    running = workflow("bad", "in_progress", duration_ms=None)
    assert diff(subject=running)["duration_delta_ms"] is None
