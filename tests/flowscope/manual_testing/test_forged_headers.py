"""A tested request is no one but whom its own credentials name, and comes from where the
tester is: what a proxy in front of the project would vouch for (the user, the client's
address, the host, the path) cannot be sent by a test, and the tester's own forwarding
headers go with the run instead. A run's workflow is marked synthetic."""

import pytest
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware

from flowscope.manual_testing import safety
from flowscope.models import WorkflowSession
from tests.flowscope.manual_testing.conftest import MANUAL_TESTING, run_endpoint
from tests.flowscope.manual_testing.test_safety import refused
from tests.flowscope.manual_testing.test_tracing import recorded

SSO_MIDDLEWARE = f"{__name__}.SsoUserMiddleware"


class SsoUserMiddleware(PersistentRemoteUserMiddleware):
    """A project behind a single-sign-on proxy that names the user in ``X-Sso-User``."""

    header = "HTTP_X_SSO_USER"


@pytest.fixture
def behind_sso_proxy(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, SSO_MIDDLEWARE]
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.RemoteUserBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "X-Forwarded-For",
        "x-forwarded-host",
        "X-Forwarded-Proto",
        "Forwarded",
        "X-Real-IP",
        "True-Client-IP",
        "Remote-User",
        "X-Remote-User",
        "X-Forwarded-User",
        "X-Auth-Request-Email",
        "X-Goog-Authenticated-User-Email",
        "X-Original-URL",
    ],
)
def test_what_a_proxy_vouches_for_cannot_be_sent(staff_client, name):
    (message,) = refused(staff_client, "headers", headers={name: "admin"})
    assert repr(name) in message and "set by a proxy" in message


def test_the_projects_own_remote_user_header_is_refused(staff_client, behind_sso_proxy):
    (message,) = refused(staff_client, "headers", headers={"X-Sso-User": "admin"})
    assert "'X-Sso-User'" in message


def test_headers_the_settings_name_are_refused(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_SCHEME", "https")
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MANUAL_TESTING_REFUSED_HEADERS": ["X-Tenant"]}
    problems = safety.header_problems({"X-Scheme": "https", "x-tenant": "other", "X-Ok": "1"})
    assert [problem.split(" is ")[0] for problem in problems] == [
        "Header 'X-Scheme'",
        "Header 'x-tenant'",
    ]


def test_smuggling_the_run_into_another_trace_is_refused(staff_client):
    messages = refused(
        staff_client,
        "headers",
        headers={
            "x-correlation-id": "someone-elses",
            "TraceParent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "X-Workflow-Type": "checkout",
            "X-Workflow-Complete": "true",
            "X-Flowscope-Journey": "a-customers-journey",
        },
    )
    assert len(messages) == 5
    assert all("set by flowscope" in message for message in messages)


def test_the_run_comes_from_where_the_tester_is_and_as_no_one(
    staff_client, shop, nested_urlconf, behind_sso_proxy
):
    """The dashboard request came through the proxy: its X-Forwarded-For goes with the run
    (a proxy-aware project sees the tester's address, not the proxy's), its identity
    header does not (the run is anonymous)."""
    response = staff_client.post(
        f"{MANUAL_TESTING}test_endpoint/",
        {"method": "GET", "path": "/whoami/"},
        format="json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        HTTP_X_SSO_USER="ops",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["response_body"] == {
        "user": None,
        "remote_addr": "10.0.0.2",
        "forwarded_for": "203.0.113.7",
        "host": "testserver",
        "secure": False,
    }


def test_a_runs_workflow_is_marked_synthetic_and_can_be_left_out(staff_client, shop, real_recorder):
    run = run_endpoint(staff_client, method="GET", path=f"/api/v1/products/{shop.novel.pk}/")
    workflow, _ = recorded(real_recorder, run["correlation_id"])
    assert workflow.metadata["synthetic"] is True
    staff_client.get("/api/v1/products/", HTTP_X_CORRELATION_ID="real-customer")
    assert real_recorder.flush(10)
    assert not WorkflowSession.objects.get(correlation_id="real-customer").metadata.get("synthetic")

    def listed(synthetic):
        answer = staff_client.get("/api/v1/debugging/workflows/", {"synthetic": synthetic})
        assert answer.status_code == 200, answer.json()
        return [w["correlation_id"] for w in answer.json()["results"]]

    assert listed("true") == [run["correlation_id"]]
    assert listed("false") == ["real-customer"]


def test_a_journey_cookie_does_not_join_the_run_to_a_customers_journey(
    staff_client, shop, real_recorder
):
    run = run_endpoint(
        staff_client,
        method="GET",
        path="/api/v1/products/",
        headers={"Cookie": "flowscope_journey=a-customers-journey"},
    )
    workflow, _ = recorded(real_recorder, run["correlation_id"])
    assert workflow.journey_id == ""
