"""Every operation of the dashboard API, as its OpenAPI schema lists them (so an endpoint
added later is walked too), refuses anyone but staff by default: anonymous callers, a
customer's token, the token of a staff user since deactivated. A refused write changes
nothing. Only health (up or down, to anyone) and ingest (by key) answer others."""

import itertools
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from flowscope.models import DashboardConfiguration, ErrorLog, Report, TestRun
from flowscope.recording import writer
from tests.flowscope.api.test_schema import fetch_schema
from tests.flowscope.factories import make_error, make_trace

pytestmark = pytest.mark.django_db
# Open to others by design: health says up or down to anyone, ingest takes a key instead.
# Paths below where the project mounts flowscope.
PUBLIC = {("get", "health/"), ("post", "ingest/"), ("post", "otlp/v1/traces")}
ALSO_UNLISTED = [("get", "schema/"), ("get", "schema/docs/")]


def mounted_at():
    return reverse("flowscope:health").removesuffix("health/")


@pytest.fixture
def objects(db):
    """One of each object, owned by a staff user who is not the caller."""
    owner = get_user_model().objects.create_user("owner", password="x", is_staff=True)
    writer.write([make_trace("wf-1", errors=[make_error()])])
    error = ErrorLog.objects.get()
    report = Report.objects.create(
        report_type="workflow", title="t", summary={}, sections=[], generated_by=owner
    )
    run = TestRun.objects.create(
        kind="endpoint",
        request={"method": "GET", "path": "/api/v1/products/"},
        result={"passed": True},
        passed=True,
        correlation_id="wf-1",
        created_by=owner,
        duration_ms=12.0,
    )
    config = DashboardConfiguration.objects.create(user=owner, name="mine")
    return {
        "correlation_id": "wf-1",
        "error": error,
        "report": report,
        "run": run,
        "config": config,
    }


def operations(objects):
    """``(method, url)`` of every operation but the public ones, ids filled in."""
    found, prefix = [], mounted_at()
    for path, methods in fetch_schema()["paths"].items():
        for method in methods:
            if (method, path.removeprefix(prefix)) not in PUBLIC:
                found.append((method, fill(path.removeprefix(prefix), objects, prefix)))
    return found + [(method, prefix + path) for method, path in ALSO_UNLISTED]


def fill(path, objects, prefix):
    owner_of_id = {
        "errors": objects["error"].pk,
        "reports": objects["report"].pk,
        "test-runs": objects["run"].pk,
        "dashboard-config": objects["config"].pk,
    }
    resource = path.split("/")[0]
    path = path.replace("{correlation_id}", objects["correlation_id"])
    return prefix + re.sub(r"\{id\}", str(owner_of_id.get(resource, 1)), path)


def state():
    """What a refused write must leave as it was."""
    return (
        Report.objects.count(),
        TestRun.objects.count(),
        ErrorLog.objects.filter(resolved=True).count(),
        list(DashboardConfiguration.objects.values_list("name", flat=True)),
    )


_usernames = (f"caller-{n}" for n in itertools.count())


def token_client(**user_fields):
    user = get_user_model().objects.create_user(next(_usernames), password="x", **user_fields)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


CALLERS = {
    "anonymous": (APIClient, (401, 403), {"not_authenticated", "authentication_failed"}),
    "customer": (lambda: token_client(), (403,), {"permission_denied"}),
    # 403 rather than 401 where session authentication comes first (no WWW-Authenticate).
    "deactivated staff": (
        lambda: token_client(is_staff=True, is_active=False),
        (401, 403),
        {"authentication_failed"},
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_refuses_all_but_staff(objects, caller):
    make_client, statuses, codes = CALLERS[caller]
    client = make_client()
    before = state()
    seen = []
    for method, url in operations(objects):
        response = getattr(client, method)(url, {}, format="json")
        where = f"{caller}: {method.upper()} {url} -> {response.status_code}"
        assert response.status_code in statuses, where
        if response["Content-Type"].startswith("application/json"):
            assert response.json()["code"] in codes, where
        seen.append(url)
    assert state() == before
    assert len(seen) >= 30  # the schema was read, not an empty list walked


def test_health_tells_others_only_up_or_down(objects):
    for client in (APIClient(), token_client()):
        answer = client.get(mounted_at() + "health/")
        assert set(answer.json()) == {"status"}, answer.json()
    revoked = token_client(is_staff=True, is_active=False).get(mounted_at() + "health/")
    assert revoked.json()["code"] == "authentication_failed"  # told so, and told nothing else


def test_staff_share_the_dashboard_but_not_each_others_configurations(objects):
    """Workflows, errors, reports and the run history are the team's (each says who made
    it; a run's stored request holds no secret to replay); a dashboard configuration is
    its owner's alone: to another staff user it does not exist."""
    colleague = token_client(is_staff=True)
    url = f"{mounted_at()}dashboard-config/{objects['config'].pk}/"
    for method in ("get", "put", "patch", "delete"):
        answer = getattr(colleague, method)(url, {"name": "taken"}, format="json")
        assert answer.status_code == 404, (method, answer.json())
    assert DashboardConfiguration.objects.get().name == "mine"
    runs = colleague.get(mounted_at() + "test-runs/").json()["results"]
    assert [run["created_by"] for run in runs] == ["owner"]


def test_every_write_refuses_a_staff_session_without_its_csrf_token(objects):
    """A staff user's browser session is the dashboard's own credential: a write it sends
    without the page's CSRF token (from another site) is refused and changes nothing."""
    get_user_model().objects.create_user("browser", password="x", is_staff=True)
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="browser", password="x")
    before, writes = state(), 0
    for method, url in operations(objects):
        if method in ("get", "head", "options"):
            continue
        writes += 1
        response = getattr(client, method)(url, {}, format="json")
        where = f"{method.upper()} {url} -> {response.status_code}"
        assert response.status_code == 403, where
        assert "CSRF" in response.json()["detail"], where
    assert state() == before
    assert writes >= 8  # replay, manual runs, reports, alerts, configurations...
