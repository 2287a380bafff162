"""A journey: the workflows of one browser session, from the journey id its requests carry
(a header on fetches, a cookie on page renders) and its browser events."""

import pytest
from django.test import Client
from django.urls import include, path

from flowscope.models import WorkflowSession
from tests.flowscope.capture import views

JOURNEY = "j0urney-a1b2c3d4"
URL = f"/api/v1/debugging/journeys/{JOURNEY}/"
INGEST = "/api/v1/debugging/ingest/"
urlpatterns = [path("api/v1/debugging/", include("flowscope.urls")), *views.urlpatterns]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]


@pytest.fixture
def shopping(real_recorder):
    """A page render (the cookie), a fetch (the header) that fails, and another that ends
    its workflow; and a request of nobody's journey."""
    browser = Client(raise_request_exception=False)
    browser.cookies["flowscope_journey"] = JOURNEY
    browser.get("/sync/page/", HTTP_X_CORRELATION_ID="render-1")
    fetch = {"HTTP_X_FLOWSCOPE_JOURNEY": JOURNEY}
    browser.get("/crash/", HTTP_X_CORRELATION_ID="checkout-1", **fetch)
    browser.get(
        "/sync/paid/", HTTP_X_CORRELATION_ID="checkout-2", HTTP_X_WORKFLOW_COMPLETE="1", **fetch
    )
    Client().get("/sync/other/", HTTP_X_CORRELATION_ID="someone-else")
    assert real_recorder.flush(10)


def test_a_journey_lists_its_workflows_in_order_and_where_it_failed(shopping, staff_client):
    body = staff_client.get(URL).json()
    assert [w["correlation_id"] for w in body["workflows"]] == [
        "render-1",
        "checkout-1",
        "checkout-2",
    ]
    assert body["first_failure"] == "checkout-1"
    assert body["outcome"] == "completed"
    assert body["truncated"] is False
    listed = staff_client.get("/api/v1/debugging/workflows/", {"journey": JOURNEY}).json()
    assert {w["correlation_id"] for w in listed["results"]} == {
        "render-1",
        "checkout-1",
        "checkout-2",
    }
    assert WorkflowSession.objects.get(correlation_id="someone-else").journey_id == ""


def ingest(settings, *events):
    headers = {"HTTP_X_FLOWSCOPE_KEY": settings.FLOWSCOPE["INGEST_KEYS"][0]}
    events = [{"correlation_id": "render-1", "journey_id": JOURNEY, **e} for e in events]
    response = Client().post(INGEST, {"events": events}, content_type="application/json", **headers)
    assert response.status_code == 202


def test_a_journey_shows_where_each_workflow_failed_and_the_page_loads(
    shopping, real_recorder, staff_client, settings
):
    """The checkout that crashed is retried and paid: recovered after one failed attempt,
    its failure still shown; the page's load timings are in its render's workflow."""
    Client().get(
        "/sync/paid-again/",
        HTTP_X_CORRELATION_ID="checkout-1",
        HTTP_X_WORKFLOW_COMPLETE="1",
        HTTP_X_FLOWSCOPE_JOURNEY=JOURNEY,
    )
    navigation = {
        "type": "step",
        "name": "page.navigation",
        "duration_ms": 240.5,
        "status": "ok",
        "metadata": {"kind": "navigation", "url": "/sync/page/", "ttfb": 31.2},
    }
    ingest(settings, navigation)
    assert real_recorder.flush(10)
    body = staff_client.get(URL).json()
    render, checkout, paid = body["workflows"]
    assert (checkout["status"], checkout["failed_attempts"]) == ("completed", 1)
    (failure,) = checkout["failures"]
    assert (failure["error_type"], failure["layer"], failure["step"]) == (
        "RuntimeError",
        "api",
        "inventory.reserve",
    )
    assert failure["message"] == "inventory service exploded for order 7"
    assert body["first_failure"] == "checkout-1"  # it failed, even though it recovered
    assert render["failures"] == paid["failures"] == []
    (load,) = render["page_loads"]
    assert (load["url"], load["duration_ms"], load["ttfb_ms"]) == ("/sync/page/", 240.5, 31.2)
    assert checkout["page_loads"] == []


def test_browser_events_join_the_journey_of_their_workflow(real_recorder, staff_client, settings):
    Client().get("/sync/render/", HTTP_X_CORRELATION_ID="page-9")  # the render: no cookie yet
    assert real_recorder.flush(10)
    event = {
        "type": "vital",
        "correlation_id": "page-9",
        "journey_id": JOURNEY,
        "name": "LCP",
        "value": 812.0,
    }
    headers = {"HTTP_X_FLOWSCOPE_KEY": settings.FLOWSCOPE["INGEST_KEYS"][0]}
    assert (
        Client()
        .post(INGEST, {"events": [event]}, content_type="application/json", **headers)
        .status_code
        == 202
    )
    assert real_recorder.flush(10)
    assert [w["correlation_id"] for w in staff_client.get(URL).json()["workflows"]] == ["page-9"]


@pytest.mark.parametrize("bad", ["short", "has space", "x" * 65, "semi;colon"])
def test_a_journey_id_that_is_not_one_is_ignored_by_capture_and_refused_by_the_api(
    real_recorder, staff_client, bad
):
    Client().get("/sync/x/", HTTP_X_CORRELATION_ID="wf-bad-journey", HTTP_X_FLOWSCOPE_JOURNEY=bad)
    assert real_recorder.flush(10)
    assert WorkflowSession.objects.get(correlation_id="wf-bad-journey").journey_id == ""
    response = staff_client.get(f"/api/v1/debugging/journeys/{bad}/")
    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("application/json")


def test_an_unknown_journey_is_a_json_404(staff_client, db):
    response = staff_client.get(URL)
    assert response.status_code == 404
    assert response.json()["detail"] == "No workflow of this journey has been recorded."
