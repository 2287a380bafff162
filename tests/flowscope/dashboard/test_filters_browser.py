"""Finding things on the page: the workflows' and errors' filters, kept in the address so
that a reload or a shared link shows the same view; requests outside any workflow on
demand; and a workflow id that does not exist says so."""

import urllib.error
import urllib.request

from tests.shop_data import ALICE


def outside_any_workflow(base, path):
    """A request with no correlation ID to a route of no workflow type, as curl sends it."""
    try:
        urllib.request.urlopen(base + path, timeout=10).close()
    except urllib.error.HTTPError as error:
        error.close()


def rows(page, testid):
    return page.get_by_test_id(testid).locator("tbody tr")


def test_workflow_filters_live_in_the_address(
    asgi_live_server, page_with_traffic, real_recorder, playwright_api
):
    expect = playwright_api.expect
    page, problems = page_with_traffic
    base = asgi_live_server
    outside_any_workflow(base, "/shop/")
    outside_any_workflow(base, "/api/v1/shipping/estimate/?country=ZZ")  # a 500
    assert real_recorder.flush(10)
    page.goto(f"{base}/debugging/#/workflows")
    listed = rows(page, "workflow-list")
    expect(listed).to_have_count(3)  # wf-browse, wf-shipping, wf-checkout: no request traces
    expect(page.get_by_test_id("workflow-list")).not_to_contain_text("request")
    # A workflow still running shows how long it has run so far (first step to last).
    expect(listed.filter(has_text="wf-browse")).to_contain_text(" so far")

    # Typing a user name finds their workflows; the address keeps it.
    search = page.get_by_label("Correlation ID or user")
    search.fill(ALICE[:3])
    search.press("Enter")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("wf-checkout")
    expect(listed).to_contain_text(ALICE)
    assert page.evaluate("location.hash") == f"#/workflows?q={ALICE[:3]}"
    page.reload()
    expect(page.get_by_label("Correlation ID or user")).to_have_value(ALICE[:3])
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("wf-checkout")

    # Requests outside any workflow, on demand: ended, the failed one failed.
    search.fill("")
    search.press("Enter")
    expect(listed).to_have_count(3)
    page.get_by_label("Show").select_option("request")
    expect(listed).to_have_count(2)
    expect(listed.filter(has_text="failed")).to_have_count(1)
    expect(listed.filter(has_text="completed")).to_have_count(1)
    expect(listed.filter(has_text="in_progress")).to_have_count(0)
    page.get_by_label("Status").select_option("failed")
    expect(listed).to_have_count(1)
    shared = page.evaluate("location.href")
    assert "kind=request" in shared and "status=failed" in shared

    # The shared address, opened afresh, shows the same view.
    page.goto(f"{base}/debugging/#/overview")
    expect(page.get_by_test_id("health-api")).to_be_visible()
    page.goto(shared)
    expect(page.get_by_label("Show")).to_have_value("request")
    expect(page.get_by_label("Status")).to_have_value("failed")
    expect(listed).to_have_count(1)
    listed.first.get_by_role("link").click()
    expect(page.get_by_test_id("workflow-summary")).to_contain_text("request outside workflows")
    expect(page.get_by_test_id("waterfall-row").first).to_be_visible()

    # Route, duration and time range.
    page.goto(f"{base}/debugging/#/workflows?route=/api/v1/products/<int:pk>/related/")
    expect(page.get_by_label("Route")).to_have_value("/api/v1/products/<int:pk>/related/")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("wf-browse")
    page.get_by_label("Route").fill("")
    page.get_by_label("Slower than (ms)").fill("99999999")
    page.get_by_label("Slower than (ms)").press("Enter")
    expect(page.get_by_text("No workflow matches these filters.")).to_be_visible()
    assert "min_duration_ms=99999999" in page.evaluate("location.hash")
    page.get_by_label("Slower than (ms)").fill("")
    page.get_by_label("Started from").fill("2000-01-01T00:00")
    page.get_by_label("Started before").fill("2000-01-02T00:00")
    page.get_by_label("Started before").press("Enter")
    expect(page.get_by_text("No workflow matches these filters.")).to_be_visible()
    assert "started_before=2000-01-0" in page.evaluate("location.hash")
    page.reload()
    expect(page.get_by_label("Started before")).to_have_value("2000-01-02T00:00")

    # A value the API refuses (an edited address) says why, naming the parameter.
    page.goto(f"{base}/debugging/#/workflows?status=exploded")
    expect(page.locator("#view [role=alert]")).to_contain_text("refused: status: ")
    assert [p for p in problems if "400" not in p] == []


def test_a_workflow_id_that_does_not_exist_says_so(
    asgi_live_server, page_with_traffic, real_recorder, playwright_api
):
    expect = playwright_api.expect
    page, problems = page_with_traffic
    page.goto(f"{asgi_live_server}/debugging/#/workflows/no-such-workflow")
    missing = page.get_by_test_id("workflow-missing")
    expect(missing).to_contain_text("No workflow with id no-such-workflow.")
    expect(page.get_by_text("Waiting for this workflow")).to_have_count(0)
    page.goto(f"{asgi_live_server}/debugging/#/workflows/wf-browse")
    expect(page.get_by_test_id("workflow-summary")).to_contain_text(" so far")
    expect(page.get_by_test_id("workflow-missing")).to_have_count(0)
    assert problems == []


def test_error_filters_live_in_the_address(
    asgi_live_server, page_with_traffic, real_recorder, playwright_api
):
    expect = playwright_api.expect
    page, problems = page_with_traffic
    base = asgi_live_server
    page.goto(f"{base}/debugging/#/errors")
    groups = rows(page, "error-groups")
    expect(groups).to_have_count(2)  # the shipping estimate's KeyError, the declined card

    page.get_by_label("User").fill(ALICE)
    page.get_by_label("User").press("Enter")
    expect(groups).to_have_count(1)
    expect(groups).to_contain_text("HTTP 402")
    assert page.evaluate("location.hash") == f"#/errors?user={ALICE}"
    page.reload()
    expect(page.get_by_label("User")).to_have_value(ALICE)
    expect(groups).to_have_count(1)
    expect(groups).to_contain_text("HTTP 402")

    page.get_by_label("User").fill("")
    page.get_by_label("Route").fill("GET /api/v1/shipping/estimate/")
    page.get_by_label("Route").press("Enter")
    expect(page.get_by_test_id("error-groups")).not_to_contain_text("HTTP 402")
    expect(groups).to_have_count(1)
    expect(groups).to_contain_text("KeyError")
    page.get_by_label("Workflow status").select_option("completed")
    expect(page.get_by_text("No error matches these filters")).to_be_visible()
    page.get_by_label("Workflow status").select_option("")
    page.get_by_label("Error type").fill("HTTP 402")
    page.get_by_label("Error type").press("Enter")
    expect(page.get_by_text("No error matches these filters")).to_be_visible()
    page.get_by_label("Route").fill("")
    page.get_by_label("Route").press("Enter")
    expect(page.get_by_test_id("error-groups")).to_contain_text("HTTP 402")
    expect(groups).to_have_count(1)
    shared = page.evaluate("location.href")
    assert "error_type=HTTP+402" in shared

    # The time range: an hour long past holds none of them.
    page.get_by_label("From").fill("2000-01-01T00:00")
    page.get_by_label("Until").fill("2000-01-01T01:00")
    page.get_by_label("Until").press("Enter")
    expect(page.get_by_text("No error matches these filters")).to_be_visible()
    expect(page.get_by_text("in the time range given")).to_be_visible()

    page.goto(f"{base}/debugging/#/overview")
    expect(page.get_by_test_id("health-api")).to_be_visible()
    page.goto(shared)
    expect(page.get_by_label("Error type")).to_have_value("HTTP 402")
    expect(groups).to_have_count(1)
    assert problems == []
