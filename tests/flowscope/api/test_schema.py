"""The OpenAPI schema covers every endpoint, validates, and a schemathesis run against it
(bounded in examples) finds no server error."""

import re

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.wsgi import get_wsgi_application
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_trace

SCHEMA = "/api/v1/debugging/schema/"
pytestmark = pytest.mark.django_db


def fetch_schema():
    staff = get_user_model().objects.get_or_create(username="schema-reader", is_staff=True)[0]
    client = APIClient()
    client.force_authenticate(staff)
    response = client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_validates_and_covers_every_endpoint():
    schema = fetch_schema()
    validate_schema(schema)
    paths = set(schema["paths"])
    assert {
        "/api/v1/debugging/dashboard-data/",
        "/api/v1/debugging/dashboard-data/realtime_updates/",
        "/api/v1/debugging/workflows/",
        "/api/v1/debugging/workflows/{correlation_id}/",
        "/api/v1/debugging/workflows/{correlation_id}/compare/",
        "/api/v1/debugging/errors/",
        "/api/v1/debugging/errors/{id}/",
        "/api/v1/debugging/errors/{id}/resolve/",
        "/api/v1/debugging/errors/{id}/reopen/",
        "/api/v1/debugging/performance/",
        "/api/v1/debugging/dashboard-config/",
        "/api/v1/debugging/dashboard-config/{id}/",
        "/api/v1/debugging/health/",
        "/api/v1/debugging/ingest/",
        "/api/v1/debugging/otlp/v1/traces",
    } <= paths
    assert not [path for path in paths if not path.startswith("/api/v1/debugging/")]
    config = schema["components"]["schemas"]["DashboardConfigurationRequest"]["properties"]
    assert config["refresh_interval"]["maximum"] == 3600


def test_the_swagger_ui_is_served_without_a_cdn(client):
    staff = get_user_model().objects.create_user("docs", password="x", is_staff=True)
    client.force_login(staff)
    page = client.get("/api/v1/debugging/schema/docs/").content.decode()
    assert "swagger-ui" in page
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)  # nothing from another host


@pytest.mark.django_db(transaction=True)  # the WSGI handler closes connections per request
def test_no_input_makes_the_api_fail():
    """Every operation, eight generated requests each, as staff: never a 5xx."""
    staff = get_user_model().objects.create_user("fuzzer", password="x", is_staff=True)
    headers = {
        "Authorization": f"Token {Token.objects.create(user=staff).key}",
        "X-Flowscope-Key": "fuzz",
    }
    writer.write([make_trace("wf-1", errors=[make_error()])])
    app = get_wsgi_application()
    failures, seen = [], []
    schema = schemathesis.openapi.from_wsgi(f"{SCHEMA}?format=json", app, headers=headers)
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call(headers=headers)
            seen.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    (case.method, case.formatted_path, response.status_code, response.text[:300])
                )

        check()
    assert failures == []
    assert sum(200 <= status < 300 for status in seen) > 10  # it got past the auth checks
