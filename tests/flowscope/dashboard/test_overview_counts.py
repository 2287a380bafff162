"""The overview's error counts against the API's while the initial load, catch-ups and
socket events race, and what the page shows for an error that does not exist."""

import pytest

from tests.flowscope.dashboard.traffic import call


def shown_counts(page):
    rows = page.get_by_test_id("recent-errors").locator("tbody tr")
    return sorted(int(text) for text in rows.locator("td:nth-child(3)").all_inner_texts())


def api_counts(page):
    data = page.evaluate(
        """async () => (await fetch("/api/v1/debugging/dashboard-data/?window=1h")).json()"""
    )
    return sorted(group["count"] for group in data["recent_errors"])


def test_overview_counts_stay_the_apis_through_catch_ups_and_live_errors(
    asgi_live_server, page_with_traffic, real_recorder, playwright_api
):
    expect = playwright_api.expect
    page, problems = page_with_traffic
    base = asgi_live_server
    for _ in range(2):  # the KeyError's group counts three, the declined card's one
        call(base, "/api/v1/shipping/estimate/?country=XX", "wf-shipping")
    assert real_recorder.flush(10)
    page.goto(f"{base}/debugging/")
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
    rows = page.get_by_test_id("recent-errors").locator("tbody tr")
    expect(rows).to_have_count(2)
    counted = api_counts(page)
    assert shown_counts(page) == counted
    # A catch-up (the socket dropped, or came back) returns the errors the load counted.
    page.evaluate("() => window.flowscopeDashboard.live.poll()")
    expect(rows.locator("td:nth-child(3)")).to_have_text([str(n) for n in sorted(counted)[::-1]])
    assert shown_counts(page) == counted
    # A new error of a group arrives live: the group's count is the API's.
    call(base, "/api/v1/shipping/estimate/?country=XX", "wf-shipping")
    assert real_recorder.flush(10)
    expect(rows.first.locator("td:nth-child(3)")).to_have_text(str(max(counted) + 1))
    assert shown_counts(page) == api_counts(page)
    assert problems == []


@pytest.mark.parametrize("error_id", ["999999999", "not-a-number"])
def test_an_error_that_does_not_exist_is_a_not_found_message(
    asgi_live_server, page_with_traffic, playwright_api, error_id
):
    expect = playwright_api.expect
    page, problems = page_with_traffic
    page.goto(f"{asgi_live_server}/debugging/#/errors/{error_id}")
    missing = page.get_by_test_id("not-found")
    expect(missing).to_contain_text("Error not found")
    assert "<" not in page.locator("#view").inner_text()
    missing.get_by_role("link", name="Back to the list").click()
    expect(page.get_by_test_id("error-groups")).to_be_visible()
    assert [p for p in problems if "404" not in p] == []
