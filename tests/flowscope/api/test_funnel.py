"""funnel/: the journeys of a window through FLOWSCOPE["FUNNEL"]'s steps, staff only, in the
OpenAPI schema."""

from datetime import timedelta

import pytest

from flowscope.records.trace import now
from tests.flowscope.api.test_schema import fetch_schema
from tests.flowscope.journeys import Journeys

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/debugging/funnel/"


@pytest.fixture(autouse=True)
def steps(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "FUNNEL": ["login", "checkout"]}


def test_each_step_with_its_conversion_and_the_errors_of_the_journeys_that_stopped(staff_client):
    journeys = Journeys(now() - timedelta(minutes=5))
    for journey in ("j-paid", "j-declined"):
        journeys.workflow(journey, "login")
    journeys.workflow("j-paid", "checkout")
    declined = {"error_type": "HTTP 402", "message": "402 Payment Required"}
    journeys.workflow("j-declined", "checkout", "failed", **declined)
    answer = staff_client.get(URL, {"window": "1h"}).json()
    assert (answer["window"], answer["started"]) == ("1h", 2)
    login, checkout = answer["steps"]
    assert (login["workflow_type"], login["reached"], login["conversion"]) == ("login", 2, 1.0)
    assert (checkout["reached"], checkout["stopped"], checkout["conversion"]) == (1, 1, 0.5)
    [error] = checkout["errors"]
    assert (error["error_type"], error["count"], error["journeys"]) == ("HTTP 402", 1, 1)
    group = staff_client.get("/api/v1/debugging/errors/", {"fingerprint": error["fingerprint"]})
    assert group.json()["results"][0]["latest_id"] == error["latest_id"]
    # A 15-minute window holds none of them.
    assert staff_client.get(URL, {"window": "15m"}).json()["started"] == 0
    assert staff_client.get(URL).json()["window"] == "1h"


def test_an_unknown_window_is_a_400_naming_it(staff_client):
    response = staff_client.get(URL, {"window": "2h"})
    assert response.status_code == 400
    assert "window" in response.json()["errors"]


def test_only_staff_reads_the_funnel(customer_client, anonymous_client):
    assert customer_client.get(URL).status_code == 403
    assert anonymous_client.get(URL).status_code in (401, 403)


def test_the_schema_describes_the_funnel():
    schema = fetch_schema()
    operation = schema["paths"]["/debugging/funnel/"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["window"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].endswith("/Funnel")
    step = schema["components"]["schemas"]["FunnelStep"]["properties"]
    assert {"workflow_type", "reached", "conversion", "stopped", "errors", "slowest_steps"} <= set(
        step
    )


def test_a_project_that_declares_no_funnel_has_one_of_no_steps(staff_client, settings):
    settings.FLOWSCOPE = {k: v for k, v in settings.FLOWSCOPE.items() if k != "FUNNEL"}
    journeys = Journeys(now() - timedelta(minutes=5))
    journeys.workflow("j-paid", "login")
    journeys.workflow("j-paid", "checkout")
    answer = staff_client.get(URL, {"window": "1h"}).json()
    assert (answer["started"], answer["steps"]) == (0, [])
