"""How much manual testing a user and a process take on: ``MANUAL_TESTING_RATE`` runs a
user, ``MANUAL_TESTING_MAX_CONCURRENT`` runs at once; past either, a 429 that says which
and when to come back, and nothing is run."""

import threading
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import connections

from flowscope.models import TestRun
from flowscope.recording import writer
from tests.flowscope.conftest import client_for
from tests.flowscope.factories import make_span, make_trace
from tests.flowscope.manual_testing import urls
from tests.flowscope.manual_testing.conftest import MANUAL_TESTING, TEST_RUNS, run_endpoint
from tests.flowscope.manual_testing.urls import HOLD_DEADLINE_SECONDS

PRODUCTS = {"method": "GET", "path": "/api/v1/products/"}
DEADLINE = HOLD_DEADLINE_SECONDS
WORKFLOWS = "/api/v1/debugging/workflows/"


def post_run(client, kind="test_endpoint", body=None):
    return client.post(f"{MANUAL_TESTING}{kind}/", body or PRODUCTS, format="json")


def assert_too_many(response, code, says):
    assert response.status_code == 429, response.json()
    assert int(response["Retry-After"]) >= 1
    assert response.json()["code"] == code
    assert says in response.json()["detail"]


def test_past_the_rate_a_user_is_refused_until_later(staff_client, staff, shop, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MANUAL_TESTING_RATE": "3/min"}
    first = run_endpoint(staff_client, **PRODUCTS)
    post_run(staff_client, "test_workflow", {"workflow": "login"})
    rerun = staff_client.post(f"{TEST_RUNS}{first['test_run_id']}/rerun/", {}, format="json")
    assert rerun.status_code == 200, rerun.json()

    for kind, body in [("test_endpoint", None), ("test_workflow", {"workflow": "login"})]:
        assert_too_many(post_run(staff_client, kind, body), "throttled", "MANUAL_TESTING_RATE")
    refused = staff_client.post(f"{TEST_RUNS}{first['test_run_id']}/rerun/", {}, format="json")
    assert_too_many(refused, "throttled", "3/min")
    assert TestRun.objects.count() == 3

    # Counted per user: another one may still run; reading is never limited.
    other = get_user_model().objects.create_user("ops2", password="x", is_staff=True)
    assert post_run(client_for(other)).status_code == 200
    assert staff_client.get(TEST_RUNS).status_code == 200
    assert staff_client.get(f"{MANUAL_TESTING}workflows/").status_code == 200


def test_by_default_a_user_runs_30_a_minute(staff_client, shop):
    cheap = {"method": "HEAD", "path": "/api/v1/cart/"}
    answers = [post_run(staff_client, body=cheap).status_code for _ in range(41)]
    assert answers == [200] * 30 + [429] * 11  # "30/min"


@contextmanager
def a_held_run(staff):
    """A run whose request waits in /hold/ (tests/flowscope/manual_testing/urls.py) until
    the block ends; yields the list its answer is appended to."""
    urls.let_go.clear()
    answers = []
    hold = {"method": "GET", "path": "/hold/"}

    def call():
        try:
            answers.append(post_run(client_for(staff), body=hold))
        finally:
            connections.close_all()  # the test client leaves them open, for its own thread

    caller = threading.Thread(target=call)
    caller.start()
    try:
        assert urls.held.wait(DEADLINE)
        yield answers
    finally:
        urls.let_go.set()
        caller.join(DEADLINE)


def test_a_full_run_pool_refuses_at_once(staff_client, staff, shop, settings, nested_urlconf):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MANUAL_TESTING_MAX_CONCURRENT": 1}
    with a_held_run(staff) as answers:
        for kind, body in [("test_endpoint", None), ("test_workflow", {"workflow": "login"})]:
            assert_too_many(
                post_run(staff_client, kind, body), "run_pool_full", "MANUAL_TESTING_MAX_CONCURRENT"
            )
        assert not TestRun.objects.exists()
    (held,) = answers
    assert held.status_code == 200 and held.json()["response_body"] == {"released": True}
    assert post_run(staff_client).status_code == 200  # the slot is free again


def captured_products_visit():
    """A stored workflow of one request, as a replay reads it; its URL to replay."""
    visit = make_span(
        "api", "GET /api/v1/products/", method="GET", path="/api/v1/products/", status_code=200
    )
    writer.write([make_trace("wf-visit", spans=[visit])])
    return f"{WORKFLOWS}wf-visit/replay/"


def test_a_replay_is_a_manual_run_counted_and_limited_as_the_others(
    staff_client, staff, shop, settings, nested_urlconf
):
    replay = captured_products_visit()
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MANUAL_TESTING_RATE": "2/min"}
    assert staff_client.post(replay, {}, format="json").status_code == 200
    assert post_run(staff_client).status_code == 200
    assert_too_many(staff_client.post(replay, {}, format="json"), "throttled", "2/min")
    assert_too_many(post_run(staff_client), "throttled", "MANUAL_TESTING_RATE")
    assert staff_client.get(replay).status_code == 200  # reading the plan is never limited

    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "MANUAL_TESTING_RATE": "100/min",
        "MANUAL_TESTING_MAX_CONCURRENT": 1,
    }
    with a_held_run(staff):
        assert_too_many(
            staff_client.post(replay, {}, format="json"),
            "run_pool_full",
            "MANUAL_TESTING_MAX_CONCURRENT",
        )
