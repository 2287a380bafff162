"""The funnel on the simulator's traffic: its journeys (sign in, browse, fill the cart, pay,
each its own workflow) counted by the funnel exactly as the stored workflows count them."""

from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from flowscope.conf import flowscope_settings
from flowscope.models import WorkflowSession
from shop.simulation import scenarios
from shop.simulation.browser import Browser
from tests.shop_data import JourneyDice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(transactional_db):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("ops", is_staff=True))
    return client


@pytest.fixture
def simulated(live_server, real_recorder, settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}
    settings.SHOP_SLOW_ENDPOINT_DELAY_MS = 50
    call_command("seed_demo")
    call_command(
        "simulate_traffic", "--base-url", live_server.url, "--rate", "20", "--duration", "5",
        "--seed", "11",
    )  # fmt: skip
    assert real_recorder.flush(20)


def stored_journeys(steps):
    """``(started, [reached at each step])`` counted from the stored workflows themselves."""
    rows = (
        WorkflowSession.objects.real_traffic()
        .exclude(journey_id="")
        .values_list("journey_id", "workflow_type", "status")
    )
    started, completed = set(), defaultdict(set)
    for journey, workflow_type, status in rows:
        if workflow_type == steps[0]:
            started.add(journey)
        if status == "completed":
            completed[journey].add(workflow_type)
    reached = [
        sum(1 for journey in started if set(steps[:k]) <= completed[journey])
        for k in range(1, len(steps) + 1)
    ]
    return len(started), reached


def test_the_funnel_shows_the_simulated_journeys_as_stored(simulated, staff_client):
    steps = flowscope_settings.FUNNEL
    started, reached = stored_journeys(steps)
    assert started > 0, "the simulator ran no journey"
    answer = staff_client.get("/api/v1/debugging/funnel/", {"window": "1h"}).json()
    assert answer["started"] == started
    assert [step["workflow_type"] for step in answer["steps"]] == steps
    assert [step["reached"] for step in answer["steps"]] == reached
    before = [started, *reached[:-1]]
    assert [step["stopped"] for step in answer["steps"]] == [
        b - r for b, r in zip(before, reached, strict=True)
    ]
    # Each journey went through the funnel's types in order, one workflow a step.
    journey = WorkflowSession.objects.exclude(journey_id="").first().journey_id
    types = WorkflowSession.objects.filter(journey_id=journey).order_by("started_at")
    assert list(types.values_list("workflow_type", flat=True)) == steps[: types.count()]
    # What stopped them is what the journeys act out.
    met = {e["error_type"] for step in answer["steps"] for e in step["errors"]}
    assert met <= {"HTTP 401", "HTTP 402", "HTTP 409", "OutOfStockError", "CheckoutError"}


def test_a_declined_journey_that_gave_up_is_a_drop_at_the_checkout_with_its_error(
    live_server, real_recorder, settings, staff_client
):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}
    call_command("seed_demo")
    browser = Browser(live_server.url, "journey", settings.FLOWSCOPE_INGEST_KEY,
                                username="shopper01")  # fmt: skip
    scenarios.journey(browser, JourneyDice(declined=True))
    browser.send_events()
    assert real_recorder.flush(20)
    answer = staff_client.get("/api/v1/debugging/funnel/", {"window": "1h"}).json()
    assert answer["started"] == 1
    assert [step["reached"] for step in answer["steps"]] == [1, 1, 1, 0]
    checkout = answer["steps"][-1]
    assert {e["error_type"] for e in checkout["errors"]} == {"HTTP 402", "CheckoutError"}
    assert checkout["slowest_steps"][0]["p95_ms"] > 0
