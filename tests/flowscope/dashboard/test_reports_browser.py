"""A workflow report in the page, as a person reads it: times in their own clock (the ISO
form on hover), the steps as a tree under the requests that ran them, and each compared
figure saying whether it is a total or a self time."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import browser_page
from tests.flowscope.api.test_workflows import checkout

pytestmark = pytest.mark.django_db(transaction=True)

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def indent_of(locator):
    return locator.evaluate("(node) => parseFloat(getComputedStyle(node).paddingLeft)")


@pytest.fixture
def checkouts(transactional_db):
    now = timezone.now()
    checkout("good-1", now - timedelta(minutes=30))
    checkout("good-2", now - timedelta(minutes=20))
    checkout("bad-1", now - timedelta(minutes=10), declined=True, cache_hit=False)


def test_a_workflow_report_reads_as_a_person_needs(
    live_server, staff_session, playwright_api, checkouts
):
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/reports")
        page.get_by_label("Correlation ID").fill("bad-1")
        page.get_by_role("button", name="Workflow report").click()
        page.get_by_role("link", name="Workflow report: checkout bad-1").click()

        # Times: readable, local, with the ISO form as the tooltip.
        started = page.get_by_test_id("report-summary").locator("div", has_text="Started")
        stamp = started.locator("time")
        expect(stamp).to_have_text(re.compile(r"\d{4}.*\d{1,2}:\d\d:\d\d"))
        assert ISO.match(stamp.get_attribute("title"))
        assert stamp.get_attribute("datetime") == stamp.get_attribute("title")
        assert "T" not in stamp.inner_text() and "+00:00" not in stamp.inner_text()
        when = page.get_by_test_id("report-errors").locator("tbody time")
        expect(when).to_have_count(1)
        assert ISO.match(when.get_attribute("title"))

        # The step tree: each query under the request that ran it, drawn indented.
        steps = page.get_by_test_id("report-steps")
        request = steps.locator(".tree-step", has_text="POST /api/v1/orders/checkout/")
        payment = steps.locator(".tree-step", has_text="payment_gateway.charge")
        expect(request).to_have_attribute("data-depth", "0")
        expect(payment).to_have_attribute("data-depth", "1")
        assert payment.inner_text().strip() == "payment_gateway.charge"  # no spaces shown
        assert indent_of(payment) > indent_of(request) == 0

        # Compared with similar: each figure says what it is, and compares like with like.
        comparison = page.get_by_test_id("report-comparison")
        expect(comparison.locator("thead")).to_contain_text("This workflow")
        rows = comparison.locator("tbody tr")
        total = rows.filter(has_text="Total duration, end to end (ms)")
        expect(total).to_contain_text("1300")
        api = rows.filter(has_text="api self time (ms)")
        expect(api.locator("td").nth(1)).to_have_text("245")
        expect(api.locator("td").nth(2)).to_have_text("150")
        layer_times = page.locator("section", has_text="Time per layer (self, ms)")
        expect(layer_times.locator("div", has_text="api").locator("dd")).to_have_text("245")
    assert [p for p in problems if "WebSocket" not in p] == []
