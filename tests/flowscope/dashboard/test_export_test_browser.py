"""Export as test from the page: a workflow's "Export as test" button downloads its
requests as a Django test, secrets left to fill in. The traffic is the simulator's
browser against the live server."""

from pathlib import Path

import pytest

from shop.simulation.browser import Browser
from tests.browser import browser_page
from tests.shop_data import ALICE_PASSWORD, DECLINED_CARD, buy


@pytest.fixture
def page(live_server, shop_data, staff_session, real_recorder, playwright_api):
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        yield page
        assert problems == []


def test_a_declined_checkout_exported_from_its_page_downloads_as_a_test(
    page, live_server, shop_data, real_recorder, playwright_api
):
    browser = Browser(live_server.url, "checkout", correlation_id="wf-declined")
    assert buy(browser, shop_data[0], DECLINED_CARD).status == 402
    assert real_recorder.flush(10)

    page.goto(f"{live_server.url}/debugging/#/workflows/wf-declined")
    button = page.get_by_test_id("export-test-button")
    playwright_api.expect(button).to_have_text("Export as test")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "test_checkout_wf-decli.py"
    source = Path(download.value.path()).read_text()
    assert "class CheckoutWorkflowTest(TransactionTestCase):" in source
    assert "self.assertEqual(response.status_code, 402)" in source
    assert "with assert_num_queries(" in source
    assert DECLINED_CARD not in source and ALICE_PASSWORD not in source
