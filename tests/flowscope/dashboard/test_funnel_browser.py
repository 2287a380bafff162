"""The funnel in the page: simulated customers' journeys (one paid, one declined that gave
up), their figures at each step, the declined card at the checkout's drop linked to its
error group, and a journey that pays while the page is open counted live."""

import pytest
from django.conf import settings
from django.core.management import call_command

from shop.simulation import scenarios
from shop.simulation.browser import Browser
from tests.browser import browser_page
from tests.flowscope.dashboard.shots import Shots
from tests.shop_data import JourneyDice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(transactional_db, settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 5, "FAILURE_RATE": 0.0}
    call_command("seed_demo")


def journey(base, number, **dice):
    customer = Browser(base, "journey", settings.FLOWSCOPE_INGEST_KEY, f"shopper{number:02d}")
    scenarios.journey(customer, JourneyDice(**dice))
    customer.send_events()


def reached(page):
    rows = page.get_by_test_id("funnel-steps").locator("tbody tr")
    return rows.locator("td:nth-child(3)")


def test_the_funnel_shows_each_step_and_what_stopped_the_journeys_live(
    asgi_live_server, seeded, staff_session, real_recorder, playwright_api, pytestconfig
):
    base = asgi_live_server
    journey(base, 1)
    journey(base, 2, declined=True)
    assert real_recorder.flush(15)
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": base}])
        page.goto(f"{base}/debugging/#/overview")
        page.get_by_role("navigation", name="Dashboard sections").get_by_role(
            "link", name="Funnel", exact=True
        ).click()
        expect(page.get_by_test_id("funnel-path")).to_contain_text(
            "login → product_fetch → cart_update → checkout"
        )
        expect(page.get_by_test_id("funnel-summary")).to_have_text(
            "2 journeys started the funnel; 1 completed checkout (50 %)."
        )
        expect(reached(page)).to_have_text(["2", "2", "2", "1"])
        numbers = page.get_by_test_id("funnel-steps").locator("tbody td:first-child")
        expect(numbers).to_have_text(["1", "2", "3", "4"])
        checkout = page.locator('tr[data-step="checkout"]')
        expect(checkout).to_contain_text("50 %")
        drops = page.get_by_test_id("funnel-drop")
        expect(drops).to_have_count(1)
        expect(drops).to_contain_text("Stopped at checkout: 1 journey")
        declined = drops.get_by_test_id("drop-error").filter(has_text="HTTP 402")
        expect(declined).to_contain_text("1 time in 1 journey")
        expect(drops.get_by_test_id("drop-step").first).to_be_visible()
        expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
        Shots(page, pytestconfig.rootpath)("funnel")

        # A journey that pays on a retry while the page is open: counted at the checkout.
        journey(base, 3, declined=True, retry=True)
        expect(reached(page)).to_have_text(["3", "3", "3", "2"], timeout=30_000)
        expect(page.get_by_test_id("funnel-summary")).to_contain_text("67 %")

        declined.get_by_role("link").click()
        expect(page.get_by_test_id("error-message")).to_contain_text("402")
    assert [p for p in problems if "WebSocket connection to" not in p] == []


def test_a_window_without_journeys_says_so(asgi_live_server, staff_session, playwright_api):
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": asgi_live_server}])
        page.goto(f"{asgi_live_server}/debugging/#/funnel")
        expect(page.get_by_test_id("empty-state")).to_contain_text(
            "No journey started the funnel in this window"
        )
    assert [p for p in problems if "WebSocket connection to" not in p] == []


@pytest.mark.parametrize("docs_url", [None, "https://docs.example.org/flowscope/"])
def test_a_project_without_a_funnel_is_told_how_to_declare_one(
    live_server, staff_session, playwright_api, settings, docs_url
):
    declared = {k: v for k, v in settings.FLOWSCOPE.items() if k != "FUNNEL"}
    settings.FLOWSCOPE = {**declared, "DOCS_URL": docs_url}
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/funnel")
        told = page.get_by_test_id("funnel-undeclared")
        expect(told).to_contain_text("No funnel declared")
        expect(told).to_contain_text('FLOWSCOPE["FUNNEL"]')
        expect(told).to_contain_text("docs/funnel.md")
        link = told.get_by_role("link", name="docs/funnel.md")
        if docs_url:
            expect(link).to_have_attribute("href", f"{docs_url}funnel.md")
        else:
            expect(link).to_have_count(0)  # the file is named; there is nowhere to link
        expect(page.get_by_test_id("funnel-steps")).to_have_count(0)
    assert [p for p in problems if "WebSocket connection to" not in p] == []
