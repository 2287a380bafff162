"""The OpenAPI schema covers every endpoint, validates, and says what the API answers
(``test_contract.py`` holds the API to it)."""

import re

import pytest
from django.contrib.auth import get_user_model
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

SCHEMA = "/debugging/schema/"
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
        "/debugging/dashboard-data/",
        "/debugging/dashboard-data/realtime_updates/",
        "/debugging/workflows/",
        "/debugging/workflows/{correlation_id}/",
        "/debugging/workflows/{correlation_id}/compare/",
        "/debugging/errors/",
        "/debugging/errors/{id}/",
        "/debugging/errors/{id}/resolve/",
        "/debugging/errors/{id}/reopen/",
        "/debugging/performance/",
        "/debugging/dashboard-config/",
        "/debugging/dashboard-config/{id}/",
        "/debugging/health/",
        "/debugging/ingest/",
        "/debugging/otlp/v1/traces",
    } <= paths
    assert not [path for path in paths if not path.startswith("/debugging/")]
    config = schema["components"]["schemas"]["DashboardConfigurationRequest"]["properties"]
    assert config["refresh_interval"]["maximum"] == 3600


def test_the_swagger_ui_is_served_without_a_cdn(client):
    staff = get_user_model().objects.create_user("docs", password="x", is_staff=True)
    client.force_login(staff)
    page = client.get("/debugging/schema/docs/").content.decode()
    assert "swagger-ui" in page
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)  # nothing from another host


def test_the_schema_says_what_the_answers_hold():
    schema = fetch_schema()
    paths, components = schema["paths"], schema["components"]["schemas"]
    workflow = components["Workflow"]["properties"]
    assert workflow["elapsed_ms"]["type"] == "number"
    assert workflow["user"]["nullable"] is True
    performance = paths["/debugging/performance/"]["get"]["responses"]["200"]
    assert {"$ref": "#/components/schemas/PerformanceSeries"} in (
        performance["content"]["application/json"]["schema"]["oneOf"]
    )
    assert set(components["PerformanceSeries"]["required"]) == {"metric", "window", "points"}
    export = paths["/debugging/reports/{id}/export/"]["get"]["responses"]["200"]
    assert set(export["content"]) == {
        "application/json",
        "text/csv",
        "text/markdown",
        "text/html",
        "application/pdf",
    }
    stack = components["Error"]["properties"]["stack_trace"]
    assert stack["items"] == {"$ref": "#/components/schemas/Frame"}
    frame = components["Frame"]
    assert set(frame["required"]) == {"file", "line", "function", "in_app"}
    assert frame["properties"]["locals"]["additionalProperties"]["type"] == "string"
    assert frame["properties"]["pre_context"]["items"]["type"] == "string"
    ingest = paths["/debugging/ingest/"]["post"]
    assert ingest["security"] == [{"ingestKey": []}, {"ingestKeyQuery": []}]
    refused = ingest["responses"]["400"]["content"]["application/json"]["schema"]
    assert refused == {"$ref": "#/components/schemas/IngestRefused"}


def test_every_operation_lists_the_errors_it_can_answer():
    for path, operations in fetch_schema()["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            where = f"{method.upper()} {path}"
            if {} not in operation["security"]:
                assert {"401", "403"} <= statuses, where
            if operation.get("parameters") or "requestBody" in operation:
                assert "400" in statuses or all(
                    p["in"] == "path" for p in operation["parameters"]
                ), where
            if "{" in path:
                assert "404" in statuses, where
            error = operation["responses"]["401" if "401" in statuses else "406"]
            assert "content" in error, where


def test_duration_filters_state_the_largest_number_they_accept(staff_client):
    parameters = fetch_schema()["paths"]["/debugging/workflows/"]["get"]["parameters"]
    bounds = {p["name"]: p["schema"].get("maximum") for p in parameters}
    assert bounds["min_duration_ms"] == bounds["max_duration_ms"] == 1e50
    assert staff_client.get("/debugging/workflows/", {"max_duration_ms": "1e50"}).status_code == 200
    assert staff_client.get("/debugging/workflows/", {"max_duration_ms": "2e50"}).status_code == 400
