"""The alert history over the API: newest first, by rule, kind and time, each with the
status of its deliveries."""

from datetime import timedelta

import pytest

from flowscope.models import AlertEvent
from tests.flowscope.factories import T0

URL = "/api/v1/debugging/alerts/"
pytestmark = pytest.mark.django_db


def fired(rule, kind, minutes, **values):
    at = T0 + timedelta(minutes=minutes)
    return AlertEvent.objects.create(
        rule=rule,
        kind=kind,
        subject=values.pop("subject", "GET /api/v1/products/"),
        claim_key=f"{rule}-{minutes}",
        value=values.pop("value", 1840.0),
        unit="ms",
        message=f"{rule} at {minutes}",
        first_fired_at=at,
        last_fired_at=at,
        **values,
    )


@pytest.fixture
def history(db):
    fired("slow", "p95", 0, repeats=4, deliveries=[
        {"destination": "email", "target": "ops@example.com", "status": "sent", "attempts": 1},
        {"destination": "webhook", "target": "hooks.example.com", "status": "failed",
         "attempts": 3, "error": "HTTPError 500"},
    ])  # fmt: skip
    fired("new", "new_error_group", 5, subject="a1b2", value=1)
    fired("slow", "p95", 20)


def test_alerts_are_listed_newest_first_with_their_deliveries(staff_client, history):
    body = staff_client.get(URL).json()
    assert [a["message"] for a in body["results"]] == ["slow at 20", "new at 5", "slow at 0"]
    oldest = body["results"][-1]
    assert (oldest["value"], oldest["unit"], oldest["repeats"]) == (1840.0, "ms", 4)
    assert [d["status"] for d in oldest["deliveries"]] == ["sent", "failed"]
    assert oldest["deliveries"][1]["error"] == "HTTPError 500"
    assert "claim_key" not in oldest


@pytest.mark.parametrize(
    ("query", "messages"),
    [
        ("rule=slow", ["slow at 20", "slow at 0"]),
        ("kind=new_error_group", ["new at 5"]),
        ("since=2026-11-26T12:05:00Z", ["slow at 20", "new at 5"]),
        ("until=2026-11-26T12:05:00Z", ["slow at 0"]),
    ],
)
def test_alerts_are_filtered_by_rule_kind_and_time(staff_client, history, query, messages):
    body = staff_client.get(f"{URL}?{query}").json()
    assert [a["message"] for a in body["results"]] == messages


@pytest.mark.parametrize("query", ["kind=p99", "since=yesterday", "since="])
def test_an_unreadable_filter_is_a_400_naming_it(staff_client, history, query):
    response = staff_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]


def test_one_alert_is_read_by_id(staff_client, history):
    alert = AlertEvent.objects.get(rule="new")
    assert staff_client.get(f"{URL}{alert.pk}/").json()["subject"] == "a1b2"
    assert staff_client.get(f"{URL}999999/").status_code == 404
