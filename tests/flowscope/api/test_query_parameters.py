"""A query parameter that is given must be valid, blank included: the dashboard API answers
400 with a JSON body naming it, rather than ignoring it and answering something else."""

import pytest

from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_trace

API = "/api/v1/debugging/"
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("workflows/", "status", ""),
        ("workflows/", "has_errors", "null"),
        ("workflows/", "started_after", ""),
        ("workflows/", "page_size", "abc"),
        ("workflows/", "page_size", "0"),
        ("workflows/", "page", "last"),
        ("errors/", "resolved", "null"),
        ("errors/", "group", "maybe"),
        ("errors/", "severity", ""),
        ("performance/", "window", ""),
        ("performance/", "alerts", "null"),
        ("dashboard-data/", "window", ""),
        ("manual-testing/available_endpoints/", "include_internal", "null"),
        ("manual-testing/available_endpoints/", "include_internal", ""),
        ("test-runs/", "passed", "null"),
        ("reports/", "type", ""),
    ],
)
def test_an_invalid_parameter_is_refused_by_name(staff_client, path, name, value):
    response = staff_client.get(f"{API}{path}", {name: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert name in body["errors"]


def test_a_boolean_reads_as_drf_reads_one(staff_client):
    writer.write([make_trace("wf-error", errors=[make_error()])])
    for spelling in ("true", "True", "1", "yes"):
        found = staff_client.get(f"{API}errors/", {"resolved": spelling}).json()
        assert found["count"] == 0, spelling
    for spelling in ("false", "0", "no"):
        found = staff_client.get(f"{API}errors/", {"resolved": spelling}).json()
        assert found["count"] == 1, spelling


def test_a_page_past_the_last_is_not_found(staff_client):
    response = staff_client.get(f"{API}workflows/", {"page": 2})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("value", ["yaml", "¬¾", "api", ""])
def test_a_format_parameter_names_no_renderer(staff_client, value):
    """DRF answered 404 to ``?format=`` naming no renderer: the contract run found it."""
    response = staff_client.get("/api/v1/debugging/workflows/", {"format": value})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
