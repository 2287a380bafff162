"""A replay against its original, step by step: built in memory, as the store returns them."""

from flowscope.analysis.diff import (
    BODIES_NOT_STORED,
    BODY_CUT_SHORT,
    diff,
    payload_change,
    query_verdict,
    shape,
)
from flowscope.models import WorkflowSession
from tests.flowscope.factories import make_step as step

LOGIN, CART, CHECKOUT = "POST /login/", "POST /cart/items/", "POST /checkout/"


def request(span_id, name, start_ms, duration_ms, status_code=200, status="ok", **metadata):
    return step(
        span_id, "api", start_ms, duration_ms, name=name, status=status,
        status_code=status_code, **metadata,
    )  # fmt: skip


def query(span_id, parent, start_ms, sql):
    return step(span_id, "database", start_ms, 1, parent=parent, sql=sql)


def workflow(correlation_id, status):
    return WorkflowSession(correlation_id=correlation_id, status=status)


def original_steps():
    return [
        step("o0", "frontend", 0, 5, name="page_view"),
        request("o1", LOGIN, 10, 30),
        query("o1q", "o1", 12, "SELECT user"),
        request("o2", CART, 100, 40),
        *[query(f"o2q{i}", "o2", 102 + i, "SELECT product") for i in range(5)],
        step("o2c", "cache", 120, 1, parent="o2", key="product:1", hit=True),
        request("o3", CHECKOUT, 200, 90, status_code=402, status="error"),
        query("o3q", "o3", 202, "SELECT cart"),
        step(
            "o3p", "external", 210, 50, parent="o3", name="charge", status="error", error="declined"
        ),
    ]


def replay_steps():
    return [
        request("r1", LOGIN, 10, 20),
        query("r1q", "r1", 12, "SELECT user"),
        request("r2", CART, 100, 30),
        query("r2q", "r2", 102, "SELECT product JOIN category"),
        step("r2c", "cache", 120, 1, parent="r2", key="product:1", hit=False),
        step("r2x", "custom", 125, 2, parent="r2", name="recompute_totals"),
        request("r3", CHECKOUT, 200, 60, status_code=201),
        query("r3q", "r3", 202, "SELECT cart"),
        query("r3i", "r3", 205, "INSERT order"),
        step("r3p", "external", 210, 30, parent="r3", name="charge"),
    ]


def replay_diff():
    return diff(
        workflow("orig", "failed"), original_steps(), workflow("new", "completed"), replay_steps()
    )


def rows_by_name(result):
    return {(row["layer"], row["name"]): row for row in result["steps"]}


def test_steps_are_matched_by_layer_and_name_in_order_and_browser_steps_left_out():
    result = replay_diff()
    assert [(row["change"], row["name"]) for row in result["steps"]] == [
        ("same", LOGIN),
        ("changed", CART),
        ("added", "recompute_totals"),
        ("changed", CHECKOUT),
        ("changed", "charge"),
    ]
    assert result["browser_steps_left_out"] == 1
    assert result["summary"] == {
        "added": 1, "gone": 0, "changed": 3, "matched": 4, "queries": {"original": 7, "replay": 4},
    }  # fmt: skip
    assert result["status"] == {"original": "failed", "replay": "completed"}


def test_a_step_only_the_original_ran_is_gone():
    result = diff(
        workflow("orig", "failed"), original_steps(), workflow("new", "failed"), replay_steps()[:6]
    )
    gone = [row for row in result["steps"] if row["change"] == "gone"]
    assert [(row["name"], row["replay"]) for row in gone] == [(CHECKOUT, None), ("charge", None)]
    assert gone[0]["original"]["status_code"] == 402


def test_per_step_the_queries_added_removed_and_recounted_and_hits_that_became_misses():
    cart = rows_by_name(replay_diff())[("api", CART)]
    assert cart["queries"]["missing"] == [{"sql": "SELECT product", "count": 5}]
    assert cart["queries"]["added"] == [{"sql": "SELECT product JOIN category", "count": 1}]
    assert (cart["original"]["query_count"], cart["replay"]["query_count"]) == (5, 1)
    assert cart["cache_hits_became_misses"] == ["product:1"]
    assert cart["duration_delta_ms"] == -10
    login = rows_by_name(replay_diff())[("api", LOGIN)]
    assert not any(login["queries"].values()) and login["cache_hits_became_misses"] == []


def test_status_changes_are_named_and_the_error_of_a_step_kept():
    rows = rows_by_name(replay_diff())
    checkout, charge = rows[("api", CHECKOUT)], rows[("external", "charge")]
    assert checkout["status_changed"] is True
    assert (checkout["original"]["status_code"], checkout["replay"]["status_code"]) == (402, 201)
    assert (charge["original"]["status"], charge["replay"]["status"]) == ("error", "ok")
    assert charge["original"]["error"] == "declined"


def test_time_per_layer_before_and_after():
    times = replay_diff()["time_per_layer"]
    assert "frontend" not in times
    assert times["external"] == {"original": 50.0, "replay": 30.0, "delta_ms": -20.0}
    assert times["custom"]["original"] == 0.0 and times["custom"]["replay"] == 2.0


def test_payload_shape_is_compared_where_both_bodies_were_stored():
    before = request("a", CART, 0, 1, response_body={"id": 1, "items": [{"id": 2, "qty": 1}]})
    after = request("b", CART, 0, 1, response_body={"id": "x", "items": [{"id": 2}], "total": 3})
    change = payload_change(before, after)
    assert change["compared"] is True and change["changed"] is True
    assert change["added"] == ["$.total"]
    assert change["removed"] == ["$.items[].qty"]
    assert change["retyped"] == ["$.id"]


def test_without_stored_bodies_only_the_status_is_compared_and_the_row_says_so():
    change = payload_change(request("a", CART, 0, 1), request("b", CART, 0, 1, response_body={}))
    assert change == {
        "compared": False, "changed": False, "added": [], "removed": [], "retyped": [],
        "note": BODIES_NOT_STORED,
    }  # fmt: skip


def test_an_answer_stored_cut_short_has_no_shape_to_compare():
    cut = {"_truncated": True, "size": 90000, "preview": '{"items": [{"id": 1'}
    whole = {"items": [{"id": 1}]}
    for before, after in ((cut, whole), (whole, cut), (cut, cut)):
        change = payload_change(
            request("a", CART, 0, 1, response_body=before),
            request("b", CART, 0, 1, response_body=after),
        )
        assert change == {
            "compared": False, "changed": False, "added": [], "removed": [], "retyped": [],
            "note": BODY_CUT_SHORT,
        }  # fmt: skip


def test_shape_merges_the_elements_of_a_list():
    assert shape({"results": [{"a": 1}, {"b": None}], "ok": True}) == {
        "$": "object",
        "$.results": "array",
        "$.results[]": "object",
        "$.results[].a": "number",
        "$.results[].b": "null",
        "$.ok": "boolean",
    }


def test_a_named_query_is_said_gone_fewer_or_still_there():
    def verdict(sql, replay):
        return query_verdict(sql, original_steps(), replay)["verdict"]

    fixed = replay_steps()
    assert query_verdict("SELECT product", original_steps(), fixed) == {
        "sql": "SELECT product", "original": 5, "replay": 0, "verdict": "gone",
    }  # fmt: skip
    fewer = [query(f"q{i}", "r2", i, "SELECT product") for i in range(2)]
    assert verdict("SELECT product", fewer) == "fewer"
    assert verdict("SELECT product", fixed[:2] + [query("q", "r2", 1, "SELECT product")] * 5) == (
        "still there"
    )
    assert verdict("SELECT nothing", fixed) == "never ran"
    assert replay_diff()["query"] is None
