"""Release comparison on the shop's own traffic: customers served by release v1, then by
v2, whose product page runs one more query; the comparison names that step and the query,
with the line of code that runs it."""

import random

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from flowscope.models import WorkflowSession
from shop.models import Product
from shop.simulation import scenarios
from shop.simulation.browser import Browser
from shop.views.products import ProductDetailView

PRODUCT_PAGE = "GET /api/v1/products/<int:pk>/"


@pytest.fixture
def shop(real_recorder):
    call_command("seed_demo")


def serve_release(settings, tag):
    """What setting RELEASE (or FLOWSCOPE_RELEASE) in a deploy does; the deploy starts with
    an empty cache, so both releases serve the same customers the same way."""
    cache.clear()
    settings.FLOWSCOPE = {**getattr(settings, "FLOWSCOPE", {}), "RELEASE": tag}


def browse(live_server, ingest_key, customers, seed):
    """``customers`` product_fetch workflows, each opening a product or two."""
    rng = random.Random(seed)
    browsers = []
    for _ in range(customers):
        browser = Browser(live_server.url, "product_fetch", ingest_key)
        while scenarios.browse(browser, rng) is None:  # a search with nothing in stock
            pass
        browser.call("GET", "/api/v1/products/?page=1", complete=True)
        browser.send_events()
        browsers.append(browser)
    return browsers


def count_sold_out(original):
    """v2's change: the product page also counts the products sold out."""

    def retrieve(self, request, *args, **kwargs):
        Product.objects.filter(stock__lt=1).count()
        return original(self, request, *args, **kwargs)

    return retrieve


@pytest.fixture
def staff_client(db):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("ops", is_staff=True))
    return client


def test_the_comparison_names_the_step_that_runs_a_new_query(
    live_server, shop, real_recorder, staff_client, monkeypatch, settings
):
    serve_release(settings, "v1")
    before = browse(live_server, settings.FLOWSCOPE_INGEST_KEY, 4, seed=1)
    assert real_recorder.flush(30)
    serve_release(settings, "v2")
    monkeypatch.setattr(ProductDetailView, "retrieve", count_sold_out(ProductDetailView.retrieve))
    after = browse(live_server, settings.FLOWSCOPE_INGEST_KEY, 4, seed=1)
    assert real_recorder.flush(30)

    tags = dict(WorkflowSession.objects.values_list("correlation_id", "release"))
    assert {tags[b.correlation_id] for b in before} == {"v1"}
    assert {tags[b.correlation_id] for b in after} == {"v2"}

    listed = staff_client.get("/api/v1/debugging/releases/").json()["results"]
    assert [row["release"] for row in listed] == ["v2", "v1"]
    assert [row["workflows"] for row in listed] == [4, 4]

    # No parameters: the latest release against the one before it.
    comparison = staff_client.get("/api/v1/debugging/releases/compare/").json()
    assert (comparison["base"]["release"], comparison["head"]["release"]) == ("v1", "v2")
    [change] = [c for c in comparison["changes"] if "chattier" in c["changes"]]
    assert (change["workflow_type"], change["step"]) == ("product_fetch", PRODUCT_PAGE)
    added = change["queries"][0]
    assert added["new"] and added["base_per_request"] == 0
    assert added["head_per_request"] == 1
    assert added["sql"].startswith("SELECT COUNT(*)") and "shop_product" in added["sql"]
    assert added["call_site"]["function"] == "retrieve"
    assert added["call_site"]["file"].endswith("test_releases.py")
    assert change["head"]["queries_per_request"] - change["base"]["queries_per_request"] == 1

    # The other steps ran the same queries: nothing else is named.
    others = [c for c in comparison["changes"] if c["step"] != PRODUCT_PAGE]
    assert not [c for c in others if "chattier" in c["changes"]]
