"""A journey in the page: one storefront visit — the page, a declined checkout and the
retry that paid — driven in Chromium with the real SDK, then read on the dashboard."""

import pytest

from tests.browser import browser_page
from tests.flowscope.dashboard.shots import Shots
from tests.shop_data import make_catalogue
from tests.storefront import add_to_cart, declined_then_paid, sign_in


@pytest.fixture
def catalogue(transactional_db, settings, alice):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 5, "FAILURE_RATE": 0.0}
    return make_catalogue(novels=2)


def shop_once(page, base, expect, product):
    """Sign in, a declined checkout, the retry that paid; the SDK's events all sent.
    ``(journey id, the checkout's correlation ID)``."""
    sign_in(page, base, expect)
    add_to_cart(page, expect, product)
    _, paid = declined_then_paid(page, expect)
    stats = page.evaluate("Flowscope.flush()")
    assert stats["failed"] == stats["rejected"] == stats["queue_length"] == 0, stats
    return page.evaluate("Flowscope.journeyId"), paid


def test_a_visit_is_a_journey_page_with_where_it_failed_and_what_the_retry_recovered(
    asgi_live_server, catalogue, staff_session, real_recorder, playwright_api, pytestconfig
):
    expect = playwright_api.expect
    base = asgi_live_server
    with browser_page(playwright_api) as (page, problems):
        journey, checkout = shop_once(page, base, expect, catalogue[0])
        assert real_recorder.flush(10)
        page.context.add_cookies([{**staff_session, "url": base}])

        # The checkout's page: recovered, and a link to its journey.
        page.goto(f"{base}/debugging/#/workflows/{checkout}")
        expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
        summary = page.get_by_test_id("workflow-summary")
        expect(summary).to_contain_text("completed")
        expect(summary.get_by_test_id("attempts")).to_have_text("recovered after 1 failed attempt")
        summary.get_by_role("link", name=journey[:12]).click()

        expect(page.get_by_test_id("journey-id")).to_have_text(journey)
        rows = page.get_by_test_id("journey-row")
        expect(rows).to_have_count(2)
        render, paid = rows.nth(0), rows.nth(1)
        # First the page: its render and its load timings, in one workflow.
        expect(render).to_contain_text("GET /shop/")
        expect(render.get_by_test_id("journey-page-load")).to_contain_text("page load /shop/")
        expect(render.get_by_test_id("journey-failure")).to_have_count(0)
        # Then the checkout: paid on the retry, its failed attempt still shown.
        expect(paid).to_have_attribute("data-status", "completed")
        expect(paid).to_contain_text("checkout")
        expect(paid).to_contain_text("alice")
        expect(paid.get_by_test_id("attempts")).to_have_text("recovered after 1 failed attempt")
        failure = paid.get_by_test_id("journey-failure")
        expect(failure).to_contain_text("HTTP 402")
        expect(failure).to_contain_text("The card was declined by its issuer.")
        expect(failure).to_contain_text("in POST /api/v1/orders/checkout/")
        summary = page.get_by_test_id("journey-summary")
        expect(summary).to_contain_text("alice")
        expect(summary.get_by_role("link", name=checkout[:12])).to_be_visible()
        Shots(page, pytestconfig.rootpath)("journey")

        # The failure's link opens its error.
        failure.get_by_role("link", name="HTTP 402").click()
        expect(
            page.get_by_test_id("stack-trace").or_(page.get_by_test_id("error-state"))
        ).not_to_have_count(0)

        # From the workflows list: each workflow links to its journey. The page's render
        # is a request outside any workflow: listed with them on demand.
        page.goto(f"{base}/debugging/#/workflows")
        listed = page.get_by_test_id("workflow-list")
        expect(listed.locator("tbody tr")).to_have_count(1)
        page.get_by_label("Show").select_option("all")
        expect(listed.locator("tbody tr")).to_have_count(2)
        listed.get_by_role("link", name=journey[:12]).first.click()
        expect(page.get_by_test_id("journey-row")).to_have_count(2)

        # A journey nobody recorded says so.
        page.goto(f"{base}/debugging/#/journeys/nobody-0000000000")
        expect(page.get_by_test_id("not-found")).to_contain_text(
            "No workflow of journey nobody-0000000000 has been recorded."
        )
    # The browser reports the 402 answer on its console; nothing else may go wrong.
    assert [p for p in problems if "status of 402" not in p] == []
