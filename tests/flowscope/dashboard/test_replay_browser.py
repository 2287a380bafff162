"""Replay from the page: a workflow's "Replay" button opens a form of its masked values; the
replay runs and its diff against the original is shown step by step. The traffic is the
simulator's browser against the live server (WSGI: the page polls, which is all it needs)."""

import pytest

from shop.simulation.browser import Browser
from shop.views.products import RelatedProductsView
from tests.browser import browser_page
from tests.flowscope.api.test_replay import change_and_reread, fixed_related_products
from tests.flowscope.dashboard.shots import Shots
from tests.shop_data import ALICE_PASSWORD, DECLINED_CARD, buy


@pytest.fixture
def page(live_server, shop_data, staff_session, real_recorder, playwright_api, settings):
    # The example's test identity, with alice's password (the simulated shoppers have theirs).
    identity = {**settings.FLOWSCOPE["REPLAY_VALUES"], "password": ALICE_PASSWORD}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REPLAY_VALUES": identity}
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        yield page
        assert problems == []


def open_replay(page, base, correlation_id):
    page.goto(f"{base}/debugging/#/workflows/{correlation_id}")
    page.get_by_test_id("replay-button").click()
    return page.get_by_test_id("replay-form")


def related_products_browsed(live_server, product, recorder):
    """A customer opens the related products of ``product``: the shop's N+1, stored."""
    browser = Browser(live_server.url, "product_fetch", correlation_id="wf-related")
    browser.call("GET", f"/api/v1/products/{product.pk}/related/", complete=True)
    assert recorder.flush(10)


def diff_row(page, name):
    return page.locator("[data-testid=diff-steps] tr", has_text=name)


def test_a_declined_checkout_replayed_from_the_page_shows_the_declined_payment(
    page, live_server, shop_data, real_recorder, playwright_api
):
    expect = playwright_api.expect
    browser = Browser(live_server.url, "checkout", correlation_id="wf-declined")
    assert buy(browser, shop_data[0], DECLINED_CARD).status == 402
    assert real_recorder.flush(10)

    form = open_replay(page, live_server.url, "wf-declined")
    expect(page.get_by_test_id("replay-requests")).to_contain_text("POST /api/v1/orders/checkout/")
    card = page.get_by_test_id("masked-card_number")
    expect(card).to_have_attribute("placeholder", "configured (REPLAY_VALUES)")
    expect(card).to_have_attribute("type", "password")  # a secret is typed unseen
    expect(page.get_by_test_id("masked-password")).to_be_visible()
    card.fill(DECLINED_CARD)  # the card the customer typed, masked when stored
    form.get_by_role("button", name="Replay now").click()

    expect(page.get_by_test_id("replay-diff")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("replay-sent")).to_contain_text("402")
    payment = diff_row(page, "payment_gateway.charge")
    expect(payment).to_have_attribute("data-layer", "external")
    expect(payment).to_contain_text("error")
    expect(payment).to_contain_text("declined")
    checkout = diff_row(page, "POST /api/v1/orders/checkout/")
    expect(checkout).to_contain_text("402")
    expect(page.get_by_test_id("diff-summary")).to_contain_text("0 gone")
    expect(page.get_by_test_id("diff-layers")).to_contain_text("external")
    page.get_by_test_id("replay-trace").click()
    summary = page.get_by_test_id("workflow-summary")
    expect(summary).to_contain_text("checkout")
    summary.get_by_role("link", name="wf-declined").click()  # "Replay of": the original
    expect(page.get_by_test_id("workflow-id")).to_have_text("wf-declined")


def test_after_the_n_plus_one_is_fixed_its_replay_shows_the_query_count_fall(
    page, live_server, shop_data, real_recorder, playwright_api, monkeypatch, pytestconfig
):
    expect = playwright_api.expect
    related_products_browsed(live_server, shop_data[0], real_recorder)
    monkeypatch.setattr(RelatedProductsView, "get", fixed_related_products)

    form = open_replay(page, live_server.url, "wf-related")
    expect(form).to_contain_text("Nothing was masked")
    form.get_by_role("button", name="Replay now").click()

    related = diff_row(page, "GET /api/v1/products/<int:pk>/related/")
    expect(related).to_have_attribute("data-change", "changed", timeout=30_000)
    limit = RelatedProductsView.limit
    removed_once_a_product = f"\u2212 {limit}\u00d7 "  # minus, count, times sign
    removed = related.locator("[data-kind=query-removed]", has_text=removed_once_a_product)
    expect(removed).to_contain_text("shop_category")
    expect(related.locator("[data-kind=query-added]")).to_contain_text("JOIN")
    queries = related.locator("td.num").first
    before, after = (int(n) for n in queries.inner_text().split(" → "))
    assert after == before - limit
    expect(page.get_by_test_id("diff-summary")).to_contain_text(f"queries {before} → {after}")
    Shots(page, pytestconfig.rootpath)("replay")


def test_an_n_plus_one_recommendation_replays_to_confirm_the_fix(
    page, live_server, shop_data, real_recorder, playwright_api, monkeypatch
):
    """Before the fix the replay says the repeated query is still there; after, gone."""
    expect = playwright_api.expect
    related_products_browsed(live_server, shop_data[0], real_recorder)

    page.goto(f"{live_server.url}/debugging/#/overview")
    recommendation = page.locator("[data-testid=recommendations] li", has_text="N+1")
    recommendation.get_by_test_id("replay-to-confirm").click()
    form = page.get_by_test_id("replay-form")
    form.get_by_role("button", name="Replay now").click()
    verdict = page.get_by_test_id("query-verdict")
    expect(verdict).to_have_attribute("data-verdict", "still there", timeout=30_000)
    expect(verdict).to_contain_text("shop_category")

    monkeypatch.setattr(RelatedProductsView, "get", fixed_related_products)
    form.get_by_role("button", name="Replay now").click()
    expect(verdict).to_have_attribute("data-verdict", "gone", timeout=30_000)
    expect(verdict).to_contain_text(f"{RelatedProductsView.limit} → 0 times")


def test_the_workflow_page_lists_its_replays_as_they_run_and_reopens_each_diff(
    page, live_server, shop_data, real_recorder, playwright_api
):
    expect = playwright_api.expect
    browser = Browser(live_server.url, "checkout", correlation_id="wf-declined")
    assert buy(browser, shop_data[0], DECLINED_CARD).status == 402
    assert real_recorder.flush(10)
    page.goto(f"{live_server.url}/debugging/#/workflows/wf-declined")
    history = page.get_by_test_id("replays-panel")
    expect(history).to_contain_text("Never replayed")

    # Replayed from another window: the workflow's page, left open, lists it once written.
    other = page.context.browser.new_page()
    other.context.add_cookies(page.context.cookies())
    form = open_replay(other, live_server.url, "wf-declined")
    other.get_by_test_id("masked-card_number").fill(DECLINED_CARD)
    form.get_by_role("button", name="Replay now").click()
    expect(other.get_by_test_id("replay-diff")).to_be_visible(timeout=30_000)
    replay_id = other.get_by_test_id("replay-trace").get_attribute("href").rsplit("/", 1)[1]
    other.context.close()

    listed = page.get_by_test_id("replay-history").locator(f'tr[data-replay="{replay_id}"]')
    expect(listed).to_have_attribute("data-status", "failed", timeout=30_000)
    expect(listed).to_contain_text("ops")  # who ran it
    expect(listed).to_contain_text("failed")
    listed.get_by_test_id("replay-history-diff").click()
    expect(page.get_by_test_id("earlier-replay")).to_contain_text(replay_id[:8])
    payment = diff_row(page, "payment_gateway.charge")
    expect(payment).to_contain_text("declined")
    expect(diff_row(page, "POST /api/v1/orders/checkout/")).to_contain_text("402")
    expect(page.get_by_test_id("diff-summary")).to_contain_text("0 gone")


@pytest.fixture
def reread(live_server, shop_data, real_recorder, settings):
    """The cart line and order a checkout created, changed and read back; captured before
    the page opens (the database is not for Playwright's event loop)."""
    item_id, _ = change_and_reread(live_server, real_recorder, shop_data[0], settings)
    return item_id


def test_the_replay_says_which_ids_it_took_from_its_own_answers(
    reread, page, live_server, playwright_api
):
    expect = playwright_api.expect
    item_id = reread

    form = open_replay(page, live_server.url, "wf-reread")
    plan = page.get_by_test_id("replay-requests")
    expect(plan).to_contain_text(
        "path /api/v1/cart/items/{items[0].id}/ uses the id of step 2's answer"
    )
    expect(plan).to_contain_text("path /api/v1/orders/{id}/ uses the id of step 4's answer")
    form.get_by_role("button", name="Replay now").click()

    sent = page.get_by_test_id("replay-sent")
    expect(sent).to_contain_text(f"({item_id} → ", timeout=30_000)  # the replay's own line
    expect(sent.locator("tr", has_text="PATCH")).to_contain_text("200")
