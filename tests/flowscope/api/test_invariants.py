"""invariants/: each configured rule with the workflows that broke it over a window; and a
workflow's own check in its detail."""

from datetime import timedelta

import pytest

from flowscope.records.trace import now
from tests.flowscope.alerts.conftest import record
from tests.flowscope.api.test_schema import fetch_schema
from tests.flowscope.factories import make_error, make_span, make_trace

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/debugging/invariants/"
RULES = {
    "checkout": [
        {"name": "no 5xx", "kind": "no_server_errors"},
        {
            "name": "one order row",
            "kind": "count",
            "steps": {"sql": "INSERT INTO shop_order *"},
            "equals": 1,
            "when": "completed",
        },
    ],
    "login": [{"name": "few queries", "kind": "queries_per_request", "at_most": 5}],
}
INSERT = 'INSERT INTO "shop_order" ("total") VALUES (?)'


@pytest.fixture(autouse=True)
def invariants(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INVARIANTS": RULES, "ALERT_RULES": []}


def checkout(cid, order_rows):
    at = now() - timedelta(minutes=1)
    spans = [make_span("database", INSERT, at=at) for _ in range(order_rows)]
    record([make_trace(cid, at=at, workflow_type="checkout", complete=True, spans=spans)])


def by_name(answer):
    return {(rule["workflow_type"], rule["name"]): rule for rule in answer["rules"]}


def test_each_rule_with_the_workflows_that_broke_it(staff_client):
    checkout("wf-1", order_rows=2)
    checkout("wf-2", order_rows=1)
    checkout("wf-3", order_rows=3)
    answer = staff_client.get(URL, {"window": "1h"}).json()
    assert answer["window"] == "1h"
    rules = by_name(answer)
    assert list(rules) == [("checkout", "no 5xx"), ("checkout", "one order row"),
                           ("login", "few queries")]  # fmt: skip
    broken = rules[("checkout", "one order row")]
    assert (broken["checked"], broken["violations"], broken["configured"]) == (3, 2, True)
    assert broken["when"] == ["completed"] and broken["kind"] == "count"
    assert "observed 3, expected equal to 1" in broken["latest_message"]
    group = staff_client.get("/api/v1/debugging/errors/", {"fingerprint": broken["fingerprint"]})
    [error_group] = group.json()["results"]
    assert (error_group["count"], error_group["error_type"]) == (2, "InvariantViolation")
    held = rules[("checkout", "no 5xx")]
    assert (held["checked"], held["violations"], held["latest_error_id"]) == (3, 0, None)
    assert rules[("login", "few queries")]["checked"] == 0


def test_a_rule_removed_since_it_was_broken_is_still_listed(staff_client, settings):
    checkout("wf-1", order_rows=2)
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INVARIANTS": {}}
    [rule] = staff_client.get(URL).json()["rules"]
    assert (rule["name"], rule["configured"], rule["kind"], rule["violations"]) == (
        "one order row",
        False,
        None,
        1,
    )


def test_an_unknown_window_is_a_400_naming_it(staff_client):
    response = staff_client.get(URL, {"window": "2h"})
    assert response.status_code == 400
    assert "window" in response.json()["errors"]


def test_only_staff_reads_invariants(customer_client, anonymous_client):
    assert customer_client.get(URL).status_code == 403
    assert anonymous_client.get(URL).status_code in (401, 403)


def test_a_workflows_detail_lists_the_rules_it_broke(staff_client):
    checkout("wf-twice", order_rows=2)
    detail = staff_client.get("/api/v1/debugging/workflows/wf-twice/").json()
    check = detail["invariants"]
    assert (check["status"], check["rules"]) == ("completed", ["no 5xx", "one order row"])
    [broken] = check["violated"]
    assert broken["rule"] == "one order row"
    assert broken["error_id"] in [error["id"] for error in detail["errors"]]

    failed = make_trace("wf-open", workflow_type="checkout", errors=[make_error()])
    failed.root.metadata["status_code"] = 500
    record([failed])
    detail = staff_client.get("/api/v1/debugging/workflows/wf-open/").json()
    assert [b["rule"] for b in detail["invariants"]["violated"]] == ["no 5xx"]
    record([make_trace("wf-untyped", complete=True)])
    assert staff_client.get("/api/v1/debugging/workflows/wf-untyped/").json()["invariants"] is None


def test_the_schema_describes_the_rules_and_a_workflows_check():
    schema = fetch_schema()
    components = schema["components"]["schemas"]
    answer = schema["paths"]["/debugging/invariants/"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/Invariants")
    rule = components["InvariantRule"]["properties"]
    assert {"name", "workflow_type", "checked", "violations", "fingerprint"} <= set(rule)
    detail = components["WorkflowAnalysis"]["properties"]["invariants"]
    assert "WorkflowInvariants" in str(detail)


def test_a_replay_or_manual_run_is_checked_but_not_counted_as_live_traffic(staff_client):
    checkout("wf-live", order_rows=2)
    at = now() - timedelta(minutes=1)
    spans = [make_span("database", INSERT, at=at) for _ in range(3)]
    replay = make_trace("wf-replay", at=at, workflow_type="checkout", complete=True, spans=spans)
    replay.workflow_metadata["synthetic"] = {"run": "replay"}  # as capture marks a replay
    record([replay])
    broken = by_name(staff_client.get(URL, {"window": "1h"}).json())[("checkout", "one order row")]
    assert (broken["checked"], broken["violations"]) == (1, 1)
    assert "observed 2" in broken["latest_message"]
    check = staff_client.get("/api/v1/debugging/workflows/wf-replay/").json()["invariants"]
    assert [broken["rule"] for broken in check["violated"]] == ["one order row"]
