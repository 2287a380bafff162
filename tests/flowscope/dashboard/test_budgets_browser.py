"""Budgets in the page, on real shop traffic under the example's budgets: the product fetch
that waited on the deliberately slow recommendations takes the type's API time over its
budget, which the Budgets view and the overview's health name with the store's figures; a
checkout stays within its budget, its payment call's step within its own."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from flowscope.analysis.budgets import budget_usage
from shop.simulation.browser import Browser
from tests.browser import browser_page
from tests.shop_data import VALID_CARD, buy

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_MS = 700  # over the example's 600 ms API budget of a product fetch


def product_fetches(base, product, slow):
    """Two quick product fetches, and ``slow`` one asking for recommendations."""
    for n in range(2 + slow):
        browser = Browser(base, "product_fetch")
        browser.call("GET", "/api/v1/products/?page_size=5")
        if n < 2:
            browser.call("GET", f"/api/v1/products/{product.pk}/", complete=True)
        else:
            assert browser.call("GET", "/api/v1/recommendations/", complete=True).ok


@contextmanager
def budgets_page(playwright_api, base, staff_session):
    """A staff user's page on the Budgets view; what it logged must be only socket noise."""
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": base}])
        page.goto(f"{base}/debugging/#/budgets")
        yield page
    assert [p for p in problems if "WebSocket connection to" not in p] == []


def usage_now(workflow_type):
    now = timezone.now()
    usages = budget_usage(now - timedelta(hours=1), now)
    return next(usage for usage in usages if usage["workflow_type"] == workflow_type)


def test_the_layer_over_budget_is_named_in_the_budgets_view_and_the_overview(
    live_server, shop_data, staff_session, real_recorder, playwright_api, settings_slow, settings
):
    novel = shop_data[0]
    product_fetches(live_server.url, novel, slow=1)
    assert buy(Browser(live_server.url, "checkout"), novel, VALID_CARD).status == 201
    assert real_recorder.flush(15)
    fetches = usage_now("product_fetch")
    assert (fetches["workflows"], fetches["over"]) == (3, ["api"])
    api = next(line for line in fetches["layers"] if line["name"] == "api")
    assert api["p95_ms"] >= SLOW_MS and usage_now("checkout")["over"] == []
    [charge] = usage_now("checkout")["steps"]
    assert (charge["name"], charge["workflows"], charge["budget_ms"]) == (
        "payment_gateway.charge",
        1,
        300.0,
    )
    assert charge["p95_ms"] >= settings.SHOP_PAYMENT_GATEWAY["LATENCY_MS"]

    expect = playwright_api.expect
    with budgets_page(playwright_api, live_server.url, staff_session) as page:
        shown = page.get_by_test_id("budget-product_fetch")
        expect(shown).to_have_attribute("data-over", "api")
        expect(shown).to_contain_text("3 workflows ended in the window")
        row = shown.locator('tr[data-name="api"]')
        expect(row).to_have_attribute("data-over", "true")
        expect(row).to_contain_text("over")
        expect(row).to_contain_text("600 ms")
        used = page.evaluate("(v) => v.toLocaleString(undefined, {maximumFractionDigits: 1})",
                             api["used_percent"])  # fmt: skip
        expect(row).to_contain_text(f"{used} %")
        expect(shown.locator('tr[data-over="true"]')).to_have_count(1)
        checkout = page.get_by_test_id("budget-checkout")
        expect(checkout).to_have_attribute("data-over", "")
        expect(checkout.locator('tr[data-over="true"]')).to_have_count(0)
        # The payment call's own bar: the one checkout's charge against its 300 ms.
        payment = checkout.locator('tr[data-kind="step"][data-name="payment_gateway.charge"]')
        expect(payment).to_have_attribute("data-over", "false")
        expect(payment).to_contain_text("step payment_gateway.charge · 1 workflow")
        expect(payment).to_contain_text("300 ms")
        expect(payment.locator(".bar-fill.within")).to_have_count(1)
        used = page.evaluate("(v) => v.toLocaleString(undefined, {maximumFractionDigits: 1})",
                             charge["used_percent"])  # fmt: skip
        expect(payment).to_contain_text(f"{used} %")
        # Budgets without workflows in the window say so rather than 0 %.
        expect(page.get_by_test_id("budget-login")).to_contain_text("0 workflows")

        page.get_by_role("link", name="Overview").click()
        note = page.get_by_test_id("over-budget")
        expect(note).to_contain_text("product_fetch api p95")
        expect(note.locator("a")).to_have_count(1)
        note.locator("a").click()
        expect(page.get_by_test_id("budgets")).to_be_visible()


def test_a_step_over_its_budget_is_named_as_a_step(
    live_server, shop_data, staff_session, real_recorder, playwright_api, settings
):
    # The gateway waits SHOP_PAYMENT_GATEWAY["LATENCY_MS"] (5 ms in these tests) at least.
    steps = {"payment_gateway.charge": settings.SHOP_PAYMENT_GATEWAY["LATENCY_MS"] / 5}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "BUDGETS": {"checkout": {"steps": steps}}}
    assert buy(Browser(live_server.url, "checkout"), shop_data[0], VALID_CARD).status == 201
    assert real_recorder.flush(15)
    assert usage_now("checkout")["over"] == ["payment_gateway.charge"]

    expect = playwright_api.expect
    with budgets_page(playwright_api, live_server.url, staff_session) as page:
        shown = page.get_by_test_id("budget-checkout")
        expect(shown).to_have_attribute("data-over", "payment_gateway.charge")
        row = shown.locator('tr[data-kind="step"]')
        expect(row).to_have_attribute("data-over", "true")
        expect(row.locator(".bar-fill.over")).to_have_count(1)
        page.get_by_role("link", name="Overview").click()
        note = page.get_by_test_id("over-budget")
        expect(note).to_contain_text("checkout step payment_gateway.charge p95")
        expect(note.locator("a")).to_have_attribute("data-kind", "step")


def test_an_open_budgets_view_shows_the_budget_gone_over_as_workflows_end(
    asgi_live_server, shop_data, staff_session, real_recorder, playwright_api, settings_slow
):
    expect = playwright_api.expect
    with budgets_page(playwright_api, asgi_live_server, staff_session) as page:
        expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
        shown = page.get_by_test_id("budget-product_fetch")
        expect(shown).to_contain_text("0 workflows ended in the window")
        product_fetches(asgi_live_server, shop_data[0], slow=1)
        expect(shown).to_have_attribute("data-over", "api", timeout=30_000)
        expect(shown).to_contain_text("3 workflows ended in the window", timeout=30_000)


def test_without_budgets_the_view_says_how_to_declare_them(
    live_server, staff_session, playwright_api, settings
):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "BUDGETS": {}}
    expect = playwright_api.expect
    with budgets_page(playwright_api, live_server.url, staff_session) as page:
        expect(page.get_by_test_id("empty-state")).to_contain_text("No latency budgets")
        expect(page.get_by_test_id("over-budget")).to_have_count(0)


@pytest.fixture
def settings_slow(settings):
    settings.SHOP_SLOW_ENDPOINT_DELAY_MS = SLOW_MS
    assert settings.FLOWSCOPE["BUDGETS"]["product_fetch"]["layers"]["api"] == 600
