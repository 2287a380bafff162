"""The probes' tests run real requests through the real shop. Tested requests are served
in a worker thread, on a database connection of its own, so what they read must be
committed: ``shop`` makes a test transactional. ``staff_client`` and the other clients
are tests/flowscope/conftest.py's."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from flowscope.manual_testing.dispatch import running_workers
from shop.management.commands.seed_demo import DEMO_USERS
from shop.models import Category, Product

MANUAL_TESTING = "/api/v1/debugging/manual-testing/"
TEST_RUNS = "/api/v1/debugging/test-runs/"
ALICE_PASSWORD = next(password for name, password, _ in DEMO_USERS if name == "alice")


@pytest.fixture(autouse=True)
def _instant_payment_gateway(settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}


@pytest.fixture(autouse=True)
def _no_tested_request_left_running():
    """A request that timed out goes on in its thread: let it end before the next test."""
    yield
    for worker in running_workers():
        worker.join(10)


def product(category, name, stock):
    slug = name.lower().replace(" ", "-")
    return Product.objects.create(
        category=category, name=name, slug=slug, price=Decimal("12.50"), stock=stock
    )


@pytest.fixture
def shop(transactional_db):
    """A small catalogue (the novel first) and seed_demo's alice, committed."""
    books = Category.objects.create(name="Books", slug="books")
    garden = Category.objects.create(name="Garden", slug="garden")
    return SimpleNamespace(
        novel=product(books, "Gripping Novel", stock=10),
        trowel=product(garden, "Blue Trowel", stock=3),
        alice=get_user_model().objects.create_user("alice", password=ALICE_PASSWORD),
    )


def run_endpoint(client, **spec):
    response = client.post(f"{MANUAL_TESTING}test_endpoint/", spec, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def run_workflow(client, workflow, **params):
    body = {"workflow": workflow, "params": params}
    response = client.post(f"{MANUAL_TESTING}test_workflow/", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()
