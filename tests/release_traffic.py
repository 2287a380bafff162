"""Traffic of two releases of the shop, for the release comparison's tests: customers
served by release v1, then the same customers by v2, whose product page runs one more
query (it also counts the products sold out)."""

import random

from django.core.cache import cache

from shop.models import Product
from shop.simulation import scenarios
from shop.simulation.browser import Browser
from shop.views.products import ProductDetailView

PRODUCT_PAGE = "GET /api/v1/products/<int:pk>/"


def two_releases(base_url, settings, monkeypatch, recorder, customers=4):
    """``(v1's browsers, v2's browsers)``, each a product_fetch workflow, all recorded."""
    serve_release(settings, "v1")
    before = browse(base_url, settings.FLOWSCOPE_INGEST_KEY, customers)
    assert recorder.flush(30)
    serve_release(settings, "v2")
    monkeypatch.setattr(ProductDetailView, "retrieve", count_sold_out(ProductDetailView.retrieve))
    after = browse(base_url, settings.FLOWSCOPE_INGEST_KEY, customers)
    assert recorder.flush(30)
    return before, after


def serve_release(settings, tag):
    """What setting RELEASE (or FLOWSCOPE_RELEASE) at a deploy does; the deploy starts with
    an empty cache, so both releases serve the same customers the same way."""
    cache.clear()
    settings.FLOWSCOPE = {**getattr(settings, "FLOWSCOPE", {}), "RELEASE": tag}


def browse(base_url, ingest_key, customers):
    """``customers`` product_fetch workflows, each opening a product or two (the same ones
    on every call)."""
    rng = random.Random(1)
    browsers = []
    for _ in range(customers):
        browser = Browser(base_url, "product_fetch", ingest_key)
        while scenarios.browse(browser, rng) is None:  # a search found nothing in stock
            pass
        browser.call("GET", "/api/v1/products/?page=1", complete=True)
        browser.send_events()
        browsers.append(browser)
    return browsers


def count_sold_out(original):
    def retrieve(self, request, *args, **kwargs):
        Product.objects.filter(stock__lt=1).count()
        return original(self, request, *args, **kwargs)

    return retrieve
