"""Manual testing's tests run real requests through the real shop. Tested requests are
served in a worker thread, on a database connection of its own, so what they read must be
committed: ``shop`` makes a test transactional. ``staff_client`` and the other clients
are tests/flowscope/conftest.py's; the catalogue and alice are tests/shop_data.py's."""

from types import SimpleNamespace

import pytest

from flowscope.manual_testing import openapi
from flowscope.manual_testing.dispatch import running_workers
from tests.shop_data import make_catalogue

MANUAL_TESTING = "/api/v1/debugging/manual-testing/"
TEST_RUNS = "/api/v1/debugging/test-runs/"


@pytest.fixture(autouse=True)
def _instant_payment_gateway(settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}


@pytest.fixture(autouse=True)
def _no_tested_request_left_running():
    """A request that timed out goes on in its thread: let it end before the next test."""
    yield
    for worker in running_workers():
        worker.join(10)


@pytest.fixture
def catalogue(transactional_db):
    """One novel (10 in stock) and the trowel (3 in stock), committed."""
    return make_catalogue(novels=1)


@pytest.fixture
def shop(catalogue, novel, trowel, alice):
    return SimpleNamespace(novel=novel, trowel=trowel, alice=alice)


@pytest.fixture
def nested_urlconf(settings):
    """The test URLconf (tests/flowscope/manual_testing/urls.py) over the shop's."""
    settings.ROOT_URLCONF = "tests.flowscope.manual_testing.urls"
    yield
    openapi.forget()


def run_endpoint(client, **spec):
    response = client.post(f"{MANUAL_TESTING}test_endpoint/", spec, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def run_workflow(client, workflow, **params):
    body = {"workflow": workflow, "params": params}
    response = client.post(f"{MANUAL_TESTING}test_workflow/", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()
