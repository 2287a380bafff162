from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from flowscope.models import ErrorLog
from flowscope.recording import writer
from tests.flowscope.factories import T0, make_error, make_trace

URL = "/api/v1/debugging/errors/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def errors(db):
    writer.write(
        [
            make_trace(
                f"wf-{i}",
                at=T0 + timedelta(minutes=i),
                errors=[make_error(f"card declined for order {i}")],
            )
            for i in range(4)
        ]
        + [
            make_trace(
                "wf-x",
                at=T0 + timedelta(minutes=9),
                errors=[make_error("disk full", severity="critical", error_type="OSError")],
            )
        ]
    )


def messages(client, query):
    """The messages of every occurrence that ``query`` finds, sorted."""
    response = client.get(URL, {**query, "group": "false"})
    assert response.status_code == 200, response.json()
    return sorted(error["message"] for error in response.json()["results"])


def test_errors_are_grouped_by_fingerprint(staff_client, errors):
    body = staff_client.get(URL).json()
    assert body["count"] == 2
    latest, declined = body["results"]
    assert (latest["error_type"], latest["count"], latest["severity"]) == ("OSError", 1, "critical")
    assert declined["count"] == 4
    assert declined["message"] == "card declined for order 3"
    assert declined["first_seen"].startswith("2026-11-26T12:00")
    assert declined["sample_correlation_ids"] == ["wf-3", "wf-2", "wf-1"]
    assert declined["resolved"] is False


def test_every_occurrence_and_filters(staff_client, errors):
    assert staff_client.get(URL, {"group": "false"}).json()["count"] == 5
    assert staff_client.get(URL, {"severity": "critical"}).json()["count"] == 1
    assert (
        staff_client.get(
            URL, {"since": (T0 + timedelta(minutes=2)).isoformat(), "group": "false"}
        ).json()["count"]
        == 3
    )
    response = staff_client.get(URL, {"severity": "apocalyptic"})
    assert response.status_code == 400
    assert "severity" in response.json()["errors"]


def test_search_by_type_words_workflow_and_user(staff_client, errors):
    shopper = get_user_model().objects.create_user("margaret")
    trace = make_trace("wf-user", at=T0, workflow_type="checkout", errors=[make_error("timeout")])
    trace.user_id = shopper.pk
    writer.write([trace])

    assert messages(staff_client, {"error_type": "OSError"}) == ["disk full"]
    assert messages(staff_client, {"q": "DISK"}) == ["disk full"]
    assert messages(staff_client, {"q": "oserr"}) == ["disk full"]
    assert messages(staff_client, {"user": "margaret"}) == ["timeout"]
    assert messages(staff_client, {"type": "checkout"}) == ["timeout"]
    assert messages(staff_client, {"q": "order 3"}) == ["card declined for order 3"]


def test_filters_by_the_workflow_route_status_and_duration(staff_client, errors):
    slow = make_trace(
        "wf-slow",
        at=T0,
        name="POST /api/v1/orders/checkout/",
        duration_ms=900,
        complete=True,
        errors=[make_error("gateway slow", severity="warning")],
    )
    writer.write([slow])

    assert messages(staff_client, {"route": "POST /api/v1/orders/checkout/"}) == ["gateway slow"]
    assert messages(staff_client, {"route": "/api/v1/orders/checkout/"}) == ["gateway slow"]
    assert messages(staff_client, {"status": "completed"}) == ["gateway slow"]
    assert messages(staff_client, {"min_duration_ms": "500"}) == ["gateway slow"]
    assert "gateway slow" not in messages(staff_client, {"max_duration_ms": "500"})
    assert len(messages(staff_client, {"status": "failed"})) == 5


@pytest.mark.parametrize("name", ["route", "user", "type", "error_type", "q", "status"])
def test_a_blank_filter_is_400_naming_it(staff_client, errors, name):
    response = staff_client.get(URL, {name: ""})
    assert response.status_code == 400
    assert name in response.json()["errors"]


def test_detail_shows_the_workflow_and_step(staff_client, errors):
    error = ErrorLog.objects.get(workflow__correlation_id="wf-2")
    body = staff_client.get(f"{URL}{error.pk}/").json()
    assert body["workflow"]["correlation_id"] == "wf-2"
    assert body["step"]["layer"] == "api"
    assert body["occurrences"] == 4
    assert body["stack_trace"][0]["function"] == "pay"
    assert staff_client.get(f"{URL}999999/").status_code == 404


def test_resolve_and_reopen_the_whole_group(staff_client, errors):
    error = ErrorLog.objects.get(workflow__correlation_id="wf-2")
    body = staff_client.post(f"{URL}{error.pk}/resolve/").json()
    assert (body["resolved"], body["unresolved"], body["count"]) == (True, 0, 4)
    assert staff_client.get(URL, {"resolved": "false"}).json()["count"] == 1
    assert staff_client.post(f"{URL}{error.pk}/reopen/").json()["unresolved"] == 4
    assert staff_client.post(f"{URL}424242/resolve/").status_code == 404
