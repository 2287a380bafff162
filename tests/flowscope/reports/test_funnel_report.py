"""The performance report's funnel: each step's journeys over the period, and at each drop
the errors and slowest steps of the journeys that stopped there."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.flowscope.factories import make_span
from tests.flowscope.journeys import Journeys

URL = "/api/v1/debugging/reports/generate_performance_report/"
pytestmark = pytest.mark.django_db


def test_the_performance_report_has_the_funnel_of_its_period(staff_client, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "FUNNEL": ["login", "checkout"]}
    journeys = Journeys(timezone.now() - timedelta(minutes=10))
    for journey in ("j-paid", "j-declined", "j-left"):
        journeys.workflow(journey, "login")
    journeys.workflow("j-paid", "checkout")
    charge = [make_span("external", "payment_gateway.charge", duration_ms=300.0)]
    journeys.workflow("j-declined", "checkout", "failed", spans=charge, error_type="HTTP 402")

    report = staff_client.post(URL, {"hours": 1}, format="json").json()
    funnel = next(s for s in report["sections"] if s["key"] == "funnel")
    assert funnel["note"].startswith("3 journeys started the funnel")
    login, checkout = funnel["rows"]
    assert login[:6] == ["login", 3, 1.0, 1.0, 0, ""]
    assert checkout[:5] == ["checkout", 1, 0.3333, 0.3333, 2]
    assert checkout[5].startswith("HTTP 402 x1 (error ")
    assert "external payment_gateway.charge 300.0" in checkout[6]


def test_without_a_declared_funnel_the_section_says_so(staff_client, settings):
    settings.FLOWSCOPE = {k: v for k, v in settings.FLOWSCOPE.items() if k != "FUNNEL"}
    Journeys(timezone.now() - timedelta(minutes=10)).workflow("j-paid", "login")
    report = staff_client.post(URL, {"hours": 1}, format="json").json()
    funnel = next(s for s in report["sections"] if s["key"] == "funnel")
    assert funnel["rows"] == []
    assert funnel["note"].startswith("No funnel is declared: FLOWSCOPE['FUNNEL'] lists no steps")
