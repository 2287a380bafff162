"""Invariants in the page: a workflow that broke one of the example's rules (the N+1 of
related products) lists it as broken, linked to its error; a correct checkout lists every
rule as held; and the broken rule is one error group on the errors page."""

import pytest
from django.conf import settings

from shop.simulation.browser import Browser
from tests.browser import browser_page
from tests.shop_data import VALID_CARD, buy

pytestmark = pytest.mark.django_db(transaction=True)

N_PLUS_ONE_RULE = "at most 8 queries a request"


def test_a_workflow_page_lists_the_rules_it_broke_and_those_that_held(
    live_server, shop_data, staff_session, real_recorder, playwright_api
):
    novel = shop_data[0]
    related = Browser(live_server.url, "product_fetch")
    related.call("GET", f"/api/v1/products/{novel.pk}/")
    related.call("GET", f"/api/v1/products/{novel.pk}/related/", complete=True)
    bought = Browser(live_server.url, "checkout")
    assert buy(bought, novel, VALID_CARD).status == 201
    assert real_recorder.flush(15)
    checkout_rules = len(settings.FLOWSCOPE["INVARIANTS"]["checkout"])

    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/workflows/{related.correlation_id}")
        listed = page.get_by_test_id("workflow-invariants")
        broken = listed.locator('li[data-state="broken"]')
        expect(broken).to_have_count(1)
        expect(broken).to_contain_text(N_PLUS_ONE_RULE)
        expect(broken).to_contain_text("observed 14 queries, expected at most 8")
        expect(listed.locator('li[data-state="held"]')).to_have_text(
            ["held no 5xx", "held catalog cache written only on a miss"]
        )
        broken.get_by_role("link", name=N_PLUS_ONE_RULE).click()
        expect(page.get_by_test_id("error-message")).to_contain_text(
            f"product_fetch invariant '{N_PLUS_ONE_RULE}' broken"
        )

        page.goto(f"{live_server.url}/debugging/#/workflows/{bought.correlation_id}")
        listed = page.get_by_test_id("workflow-invariants")
        expect(listed.locator('li[data-state="held"]')).to_have_count(checkout_rules)
        expect(listed.locator('li[data-state="broken"]')).to_have_count(0)

        page.goto(f"{live_server.url}/debugging/#/errors")
        groups = page.get_by_test_id("error-groups")
        expect(groups).to_contain_text("InvariantViolation")
        expect(groups.locator("tr", has_text="InvariantViolation")).to_have_count(1)
    assert [p for p in problems if "WebSocket connection to" not in p] == []


def test_an_open_workflow_page_shows_the_rule_broken_when_the_workflow_ends(
    asgi_live_server, shop_data, staff_session, real_recorder, playwright_api
):
    novel = shop_data[0]
    related = Browser(asgi_live_server, "product_fetch")
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": asgi_live_server}])
        page.goto(f"{asgi_live_server}/debugging/#/workflows/{related.correlation_id}")
        expect(page.get_by_test_id("trace-connection")).to_have_attribute("data-state", "live")
        listed = page.get_by_test_id("invariants-panel")
        expect(listed).to_contain_text("Not checked")
        related.call("GET", f"/api/v1/products/{novel.pk}/")
        related.call("GET", f"/api/v1/products/{novel.pk}/related/", complete=True)
        broken = listed.locator('li[data-state="broken"]')
        expect(broken).to_contain_text(N_PLUS_ONE_RULE, timeout=30_000)
        expect(page.get_by_test_id("workflow-summary")).to_contain_text("Errors1")
    assert [p for p in problems if "WebSocket connection to" not in p] == []
