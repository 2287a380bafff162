"""``test_endpoint/``: one request through the real shop, checked, stored scrubbed."""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from flowscope.models import TestRun
from flowscope.testing import capture_traces
from tests.flowscope.manual_testing.conftest import MANUAL_TESTING, run_endpoint
from tests.shop_data import ALICE_PASSWORD


def test_a_passing_request_with_assertions(staff_client, shop):
    with capture_traces() as traces:
        result = run_endpoint(
            staff_client,
            method="get",
            path="/api/v1/products/?search=Novel",
            query={"page_size": 5},
            expected_status=200,
            assertions=[
                {"type": "status", "equals": 200},
                {"type": "json_path", "path": "results[0].name", "equals": shop.novel.name},
                {"type": "json_path", "path": "results.0.id", "exists": True},
                {
                    "type": "json_path",
                    "path": f"$.results[name={shop.novel.name}].stock",
                    "equals": 10,
                },
                {"type": "header", "name": "content-type", "contains": "json"},
                {"type": "response_time", "under_ms": 5000},
            ],
        )
    assert result["passed"] is True
    assert (result["status_code"], result["expected_status"]) == (200, 200)
    assert result["response_body"]["count"] == 1
    assert result["response_body"]["results"][0]["id"] == shop.novel.pk
    assert result["response_headers"]["X-Correlation-ID"] == result["correlation_id"]
    assert result["response_truncated"] is False
    assert [check["passed"] for check in result["assertion_results"]] == [True] * 6
    assert result["response_time_ms"] > 0
    assert result["trace_url"].endswith(f"/debugging/workflows/{result['correlation_id']}/")

    (trace,) = traces  # traced like any request, under the run's correlation ID
    assert (trace.correlation_id, trace.root.name) == (
        result["correlation_id"],
        "GET /api/v1/products/",
    )
    assert trace.root.metadata["query"] == {"search": "Novel", "page_size": "5"}
    assert trace.root.metadata["request_headers"]["User-Agent"] == "flowscope-manual-test"

    run = TestRun.objects.get(pk=result["test_run_id"])
    assert (run.kind, run.passed, run.correlation_id) == ("endpoint", True, trace.correlation_id)
    assert run.result["response_body"] == result["response_body"]
    assert run.request["path"] == "/api/v1/products/?search=Novel"


def test_without_an_expected_status_any_answer_below_400_passes(staff_client, shop):
    assert run_endpoint(staff_client, method="GET", path=f"/api/v1/products/{shop.novel.pk}/")[
        "passed"
    ]
    missing = run_endpoint(staff_client, method="GET", path="/api/v1/products/999999/")
    assert (missing["passed"], missing["status_code"]) == (False, 404)


def test_a_failing_expectation_and_assertion(staff_client, shop):
    result = run_endpoint(
        staff_client,
        method="POST",
        path="/api/v1/auth/login/",
        payload={"username": "alice", "password": "not-her-password"},
        expected_status=200,
        assertions=[
            {"type": "json_path", "path": "code", "equals": "invalid_credentials"},
            {"type": "json_path", "path": "user.username", "equals": "alice"},
        ],
    )
    assert result["passed"] is False
    assert (result["status_code"], result["expected_status"]) == (401, 200)
    found, missing = result["assertion_results"]
    assert (found["passed"], found["actual"]) == (True, "invalid_credentials")
    assert (missing["passed"], missing["actual"]) == (False, None)
    assert TestRun.objects.get(pk=result["test_run_id"]).passed is False


def test_secrets_sent_and_received_are_never_stored(staff_client, shop):
    # A token from before the run, for the login to answer: one it made would be rolled back.
    token = Token.objects.create(user=shop.alice).key
    result = run_endpoint(
        staff_client,
        method="POST",
        path="/api/v1/auth/login/",
        headers={"X-Api-Key": "key-123456", "X-Note": "password=hunter2"},
        payload={"username": "alice", "password": ALICE_PASSWORD},
        expected_status=200,
        assertions=[{"type": "json_path", "path": "token", "exists": True}],
    )
    assert result["passed"] is True
    assert result["response_body"]["token"] == "[Filtered]"
    stored = TestRun.objects.get(pk=result["test_run_id"])
    text = json.dumps([stored.request, stored.result, result])
    for secret in (ALICE_PASSWORD, token, "key-123456", "hunter2"):
        assert secret not in text
    assert stored.request["payload"] == {"username": "alice", "password": "[Filtered]"}
    assert stored.request["headers"]["X-Api-Key"] == "[Filtered]"


def test_the_dashboard_users_session_is_not_passed_on(shop, staff):
    dashboard = Client()
    dashboard.force_login(staff)  # a session cookie, as in the dashboard page
    body = {"method": "GET", "path": "/api/v1/cart/"}
    response = dashboard.post(f"{MANUAL_TESTING}test_endpoint/", body, "application/json")
    assert response.status_code == 200
    assert response.json()["status_code"] == 401  # anonymous: the cart needs credentials


def test_a_test_may_bring_its_own_credentials(staff_client, shop):
    token = Token.objects.create(user=shop.alice)
    result = run_endpoint(
        staff_client,
        method="GET",
        path="/api/v1/cart/",
        headers={"Authorization": f"Token {token.key}"},
        expected_status=200,
    )
    assert result["passed"] is True
    stored = TestRun.objects.get(pk=result["test_run_id"])
    assert stored.request["headers"] == {"Authorization": "[Filtered]"}


def test_a_long_response_is_cut_and_says_so(staff_client, shop, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MANUAL_TESTING_MAX_RESPONSE_BYTES": 100}
    result = run_endpoint(staff_client, method="GET", path="/api/v1/products/")
    assert result["response_truncated"] is True
    assert result["response_size"] > 100
    assert isinstance(result["response_body"], str)  # no longer JSON once cut
    assert len(result["response_body"].encode()) <= 100


def test_a_text_answer_is_shown_as_text(staff_client, shop):
    result = run_endpoint(staff_client, method="GET", path="/shop/")
    assert result["passed"] is True
    assert "<html" in result["response_body"].lower()


def test_a_payload_may_be_text_or_a_form(staff_client, shop):
    form = run_endpoint(
        staff_client,
        method="POST",
        path="/api/v1/auth/login/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        payload={"username": "alice", "password": ALICE_PASSWORD},
    )
    assert form["status_code"] == 200
    text = run_endpoint(
        staff_client,
        method="POST",
        path="/api/v1/auth/login/",
        headers={"Content-Type": "application/json"},
        payload='{"username": "alice", "password": "nope"}',
    )
    assert text["status_code"] == 401


@pytest.mark.parametrize("slow_ms", [800])
def test_a_slow_request_times_out_and_the_run_says_so(staff_client, shop, settings, slow_ms):
    settings.SHOP_SLOW_ENDPOINT_DELAY_MS = slow_ms
    result = run_endpoint(
        staff_client, method="GET", path="/api/v1/recommendations/", timeout_ms=50
    )
    assert result["passed"] is False
    assert result["status_code"] is None
    assert result["error"] == "Timed out after 50 ms."
    assert TestRun.objects.get(pk=result["test_run_id"]).result["error"] == result["error"]
