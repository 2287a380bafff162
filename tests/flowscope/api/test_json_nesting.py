"""Every flowscope endpoint that reads JSON refuses JSON nested past the limit with a 400
naming it, instead of failing with a RecursionError (a 500) in the parser or in the code
that walks the data; the ingest endpoints have the same limit."""

import json

import pytest

from flowscope.api.parsers import MAX_NESTING
from flowscope.models import DashboardConfiguration, Report, TestRun

API = "/api/v1/debugging/"


def nested(depth):
    """A JSON text of ``depth`` nested lists (the innermost holds 1)."""
    return "[" * depth + "1" + "]" * depth


def json_with(fields, **deep):
    """``fields`` as a JSON object, and each key of ``deep`` holding lists nested that deep."""
    text = json.dumps({**fields, **{key: f"<{key}>" for key in deep}})
    for key, depth in deep.items():
        text = text.replace(f'"<{key}>"', nested(depth))
    return text


def post_json(client, path, text, method="post"):
    return getattr(client, method)(f"{API}{path}", text, content_type="application/json")


def assert_too_deep(response):
    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": f"The JSON is nested deeper than {MAX_NESTING} levels.",
        "code": "too_deep",
    }


@pytest.mark.parametrize(
    "path, body",
    [
        (
            "manual-testing/test_endpoint/",
            json_with({"method": "POST", "path": "/api/v1/cart/items/"}, payload=1000),
        ),
        (
            "manual-testing/test_workflow/",
            json_with({"workflow": "login"}, params=3000),
        ),
        ("dashboard-config/", json_with({"name": "deep"}, widgets=5000)),
        ("reports/generate_workflow_report/", json_with({}, correlation_id=100)),
    ],
    ids=["test_endpoint", "test_workflow", "dashboard-config", "reports"],
)
def test_json_nested_past_the_limit_is_a_400_that_says_so(staff_client, path, body):
    assert_too_deep(post_json(staff_client, path, body))
    assert not TestRun.objects.exists()
    assert not Report.objects.exists()
    assert not DashboardConfiguration.objects.exists()


def test_a_rerun_and_an_update_have_the_limit_too(staff_client, staff):
    config = DashboardConfiguration.objects.create(user=staff, name="mine")
    assert_too_deep(
        post_json(staff_client, f"dashboard-config/{config.pk}/", nested(2000), method="patch")
    )
    run = TestRun.objects.create(
        kind=TestRun.Kind.WORKFLOW,
        request={"workflow": "login"},
        passed=True,
        correlation_id="a",
        duration_ms=1,
    )
    rerun = f"test-runs/{run.pk}/rerun/"
    assert_too_deep(post_json(staff_client, rerun, json_with({}, params=50)))


def test_json_at_the_limit_is_read(staff_client):
    at_limit = json_with({"correlation_id": "a-workflow"}, extra=MAX_NESTING - 1)
    response = post_json(staff_client, "reports/generate_workflow_report/", at_limit)
    assert response.status_code == 404  # read, and no such workflow


def test_ingest_has_the_same_limit(client, settings, db):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_KEYS": ["a-key"]}
    response = client.post(
        f"{API}ingest/",
        json_with({}, events=3000),
        content_type="application/json",
        HTTP_X_FLOWSCOPE_KEY="a-key",
    )
    assert_too_deep(response)
