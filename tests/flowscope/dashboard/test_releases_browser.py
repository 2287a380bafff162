"""The Releases view: two releases of the shop's traffic compared, the step that runs a new
query named with the query and its call site; a workflow's page links to its release."""

import pytest

from tests.browser import browser_page
from tests.release_traffic import PRODUCT_PAGE, browse, two_releases

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_releases_view_names_the_step_that_runs_a_new_query(
    live_server, shop_data, staff_session, real_recorder, playwright_api, settings, monkeypatch
):
    _, after = two_releases(live_server.url, settings, monkeypatch, real_recorder, customers=2)
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/overview")
        page.get_by_role("link", name="Releases").click()
        expect(page.get_by_test_id("releases").locator("tbody tr")).to_have_count(2)
        changed = page.get_by_test_id("release-change").filter(has_text="chattier")
        expect(changed).to_have_count(1)
        expect(changed).to_have_attribute("data-step", PRODUCT_PAGE)
        added = changed.locator('tr[data-new="true"]')
        expect(added).to_have_count(1)
        expect(added).to_contain_text("SELECT COUNT(*)")
        expect(added).to_contain_text("0 → 1")
        expect(added).to_contain_text("release_traffic.py")
        expect(added).to_contain_text("in retrieve")

        # The workflow's page names its release, linked to the comparison against it.
        page.goto(f"{live_server.url}/debugging/#/workflows/{after[0].correlation_id}")
        summary = page.get_by_test_id("workflow-summary")
        expect(summary).to_contain_text("Releasev2")
        summary.get_by_role("link", name="v2").click()
        expect(page.get_by_label("Head")).to_have_value("v2")
        expect(page.get_by_label("Base")).to_have_value("v1")
        expect(page.get_by_test_id("release-change").filter(has_text="chattier")).to_have_count(1)

        # Comparing the other way round: nothing got chattier.
        page.get_by_label("Base").select_option("v2")
        page.get_by_label("Head").select_option("v1")
        page.get_by_role("button", name="Compare").click()
        expect(page.get_by_test_id("release-changes")).to_contain_text("from v2 to v1")
        expect(page.get_by_test_id("release-change").filter(has_text="chattier")).to_have_count(0)
    assert [p for p in problems if "WebSocket connection to" not in p] == []


def test_with_fewer_than_two_releases_the_view_says_how_to_tag_them(
    live_server, staff_session, playwright_api
):
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/releases")
        empty = page.get_by_test_id("empty-state")
        expect(empty).to_contain_text("Fewer than two releases seen")
        expect(empty).to_contain_text("FLOWSCOPE_RELEASE")
    assert [p for p in problems if "WebSocket connection to" not in p] == []


def test_an_open_comparison_follows_the_traffic_of_its_releases(
    asgi_live_server, shop_data, staff_session, real_recorder, playwright_api, settings, monkeypatch
):
    two_releases(asgi_live_server, settings, monkeypatch, real_recorder, customers=2)
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": asgi_live_server}])
        page.goto(f"{asgi_live_server}/debugging/#/releases")
        expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
        product_fetch = page.get_by_test_id("release-types").locator("tbody tr")
        expect(product_fetch).to_contain_text("product_fetch")
        expect(product_fetch.locator("td").nth(1)).to_have_text("2 → 2")

        # Two more customers of v2 (still served): the comparison counts them as they end.
        browse(asgi_live_server, settings.FLOWSCOPE_INGEST_KEY, 2)
        expect(product_fetch.locator("td").nth(1)).to_have_text("2 → 4", timeout=30_000)
        v2 = page.get_by_test_id("releases").locator("tbody tr").first
        expect(v2.locator("td").nth(3)).to_have_text("4")  # the releases seen follow too
        changed = page.get_by_test_id("release-change").filter(has_text="chattier")
        expect(changed).to_have_attribute("data-step", PRODUCT_PAGE)
    assert [p for p in problems if "WebSocket connection to" not in p] == []
