"""``test-runs/``: the history of runs, linked to their traces, and re-runs."""

import pytest
from rest_framework.authtoken.models import Token

from flowscope.models import TestRun
from flowscope.testing import capture_traces
from tests.flowscope.manual_testing.conftest import (
    MANUAL_TESTING,
    TEST_RUNS,
    run_endpoint,
    run_workflow,
)
from tests.shop_data import ALICE_PASSWORD


def rerun(client, run_id, **overrides):
    return client.post(f"{TEST_RUNS}{run_id}/rerun/", overrides, format="json")


def test_the_history_newest_first_with_summaries_and_trace_links(staff_client, shop):
    endpoint = run_endpoint(staff_client, method="GET", path="/api/v1/cart/", expected_status=200)
    workflow = run_workflow(staff_client, "login", password="wrong")
    body = staff_client.get(TEST_RUNS).json()
    assert body["count"] == 2
    newest, oldest = body["results"]
    assert (newest["id"], newest["kind"], newest["name"], newest["passed"]) == (
        workflow["test_run_id"],
        "workflow",
        "login",
        False,
    )
    assert newest["summary"] == {"steps": 1, "failed_step": "log in"}
    assert newest["request"] == {"workflow": "login", "params": {"password": "[Filtered]"}}
    assert "result" not in newest
    assert (oldest["name"], oldest["created_by"]) == ("GET /api/v1/cart/", "ops")
    assert oldest["summary"] == {"status_code": 401, "expected_status": 200, "error": None}
    assert oldest["trace_url"] == endpoint["trace_url"]
    assert oldest["correlation_id"] == endpoint["correlation_id"]


def test_filters_and_one_run_in_full(staff_client, shop):
    passed = run_endpoint(staff_client, method="GET", path="/api/v1/products/")
    run_workflow(staff_client, "login", password="wrong")

    def ids(query):
        return [run["id"] for run in staff_client.get(TEST_RUNS, query).json()["results"]]

    assert ids({"kind": "endpoint"}) == ids({"passed": "true"}) == [passed["test_run_id"]]
    assert ids({"correlation_id": passed["correlation_id"]}) == [passed["test_run_id"]]
    assert staff_client.get(TEST_RUNS, {"kind": "nope"}).json()["errors"]["kind"]
    detail = staff_client.get(f"{TEST_RUNS}{passed['test_run_id']}/").json()
    assert detail["result"]["status_code"] == 200
    assert detail["result"]["response_body"]["count"] == 2
    assert detail["request"] == {"method": "GET", "path": "/api/v1/products/"}
    assert staff_client.get(f"{TEST_RUNS}999999/").status_code == 404


def test_a_rerun_is_a_new_run_of_the_same_test(staff_client, shop):
    first = run_endpoint(
        staff_client,
        method="GET",
        path="/api/v1/products/",
        query={"search": "Trowel"},
        assertions=[{"type": "json_path", "path": "count", "equals": 1}],
    )
    with capture_traces() as traces:
        response = rerun(staff_client, first["test_run_id"])
    assert response.status_code == 200, response.json()
    again = response.json()
    assert again["rerun_of"] == first["test_run_id"]
    assert again["passed"] is True
    assert again["test_run_id"] != first["test_run_id"]
    assert again["correlation_id"] != first["correlation_id"]
    assert traces[0].correlation_id == again["correlation_id"]
    assert TestRun.objects.count() == 2


def test_a_masked_header_must_be_sent_again(staff_client, shop):
    token = Token.objects.create(user=shop.alice).key
    first = run_endpoint(
        staff_client,
        method="GET",
        path="/api/v1/cart/",
        headers={"Authorization": f"Token {token}", "Accept": "application/json"},
        expected_status=200,
    )
    assert first["passed"] is True
    response = rerun(staff_client, first["test_run_id"])
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "headers.Authorization": [
            "Masked when the run was stored: send it again in the re-run's body."
        ]
    }
    again = rerun(staff_client, first["test_run_id"], headers={"authorization": f"Token {token}"})
    assert again.status_code == 200, again.json()
    assert again.json()["passed"] is True


def test_a_masked_workflow_parameter_must_be_sent_again(staff_client, shop):
    first = run_workflow(staff_client, "login", password="wrong")
    response = rerun(staff_client, first["test_run_id"])
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["params.password"]
    again = rerun(staff_client, first["test_run_id"], params={"password": ALICE_PASSWORD})
    assert again.status_code == 200
    assert again.json()["passed"] is True


def test_a_workflow_run_with_defaults_reruns_as_it_is(staff_client, shop):
    first = run_workflow(staff_client, "product_fetch")
    again = rerun(staff_client, first["test_run_id"]).json()
    assert (again["passed"], again["workflow"], again["rerun_of"]) == (
        True,
        "product_fetch",
        first["test_run_id"],
    )


ENDPOINTS = [
    ("post", f"{MANUAL_TESTING}test_endpoint/", {"method": "GET", "path": "/api/v1/products/"}),
    ("post", f"{MANUAL_TESTING}test_workflow/", {"workflow": "login"}),
    ("get", f"{MANUAL_TESTING}available_endpoints/", None),
    ("get", f"{MANUAL_TESTING}workflows/", None),
    ("get", TEST_RUNS, None),
    ("get", f"{TEST_RUNS}1/", None),
    ("post", f"{TEST_RUNS}1/rerun/", {}),
]


@pytest.fixture
def a_run(db):
    return TestRun.objects.create(
        pk=1,
        kind="endpoint",
        request={"method": "GET", "path": "/api/v1/products/"},
        result={"passed": True},
        passed=True,
        correlation_id="c-1",
        duration_ms=1.0,
    )


@pytest.mark.parametrize("method, url, body", ENDPOINTS)
def test_anonymous_and_non_staff_callers_are_refused(
    a_run, anonymous_client, customer_client, method, url, body
):
    for client, statuses in ((anonymous_client, (401, 403)), (customer_client, (403,))):
        with capture_traces() as traces:
            response = getattr(client, method)(url, body, format="json")
        assert response.status_code in statuses
        assert response.json()["code"] in ("not_authenticated", "permission_denied")
        assert traces == []
    assert TestRun.objects.count() == 1
