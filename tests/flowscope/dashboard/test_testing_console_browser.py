"""The testing console in Chromium: a workflow run's live trace, and a request sent with
assertions whose results (or whose refusal) the page shows."""

from shop.models import Product
from tests.browser import browser_page

# The page's workflow sockets wait until the test releases them, as a socket does whose
# handshake is slow while the server is busy running the workflow.
HELD_WORKFLOW_SOCKETS = """
const RealWebSocket = window.WebSocket;
const held = [];
window.__releaseSockets = () => held.splice(0).forEach((open) => open());
window.WebSocket = function (url) {
  if (!url.includes("/workflow/")) return new RealWebSocket(url);
  const proxy = new EventTarget();
  proxy.close = (code) => { proxy.closed = code || 1000; if (proxy.real) proxy.real.close(code); };
  held.push(() => {
    if (proxy.closed) return;
    proxy.real = new RealWebSocket(url);
    for (const type of ["open", "message", "close", "error"]) {
      const forward = (event) => proxy.dispatchEvent(new event.constructor(type, event));
      proxy.real.addEventListener(type, forward);
    }
  });
  return proxy;
};
"""


def open_console(page, base, staff_session):
    page.context.add_cookies([{**staff_session, "url": base}])
    page.goto(f"{base}/debugging/#/testing")


def test_a_run_whose_trace_arrives_all_at_once_shows_where_its_time_went(
    asgi_live_server, shop_data, staff_session, real_recorder, playwright_api
):
    """The whole trace reaches the page in the socket's first message (the run was over
    before the socket opened): the time per layer follows the drawn steps."""
    expect = playwright_api.expect
    with browser_page(playwright_api, init_script=HELD_WORKFLOW_SOCKETS) as (page, problems):
        open_console(page, asgi_live_server, staff_session)
        page.get_by_label("Workflow", exact=True).select_option("checkout")
        page.get_by_role("button", name="Run workflow").click()
        expect(page.get_by_test_id("test-result")).to_contain_text("passed", timeout=20_000)
        assert real_recorder.flush(10)
        live = page.get_by_test_id("live-run")
        expect(live.get_by_test_id("step-count")).to_have_text("0 steps")
        page.evaluate("window.__releaseSockets()")
        expect(live.get_by_test_id("trace-connection")).to_have_attribute("data-state", "live")
        expect(live.get_by_test_id("waterfall-row").first).to_be_visible()
        expect(live.get_by_test_id("step-count")).not_to_have_text("0 steps")
        layers = live.get_by_test_id("time-per-layer")
        expect(layers).to_contain_text("database", timeout=30_000)
        expect(live).not_to_contain_text("No steps yet")
    assert problems == []


def add_check(form, kind, target, comparison, expected=None):
    form.get_by_role("button", name="Add a check").click()
    row = form.get_by_test_id("check").last
    row.get_by_label("Check", exact=True).select_option(label=kind)
    if target is not None:
        row.get_by_label("Checked").fill(target)
    row.get_by_label("Comparison").select_option(label=comparison)
    if expected is not None:
        row.get_by_label("Expected").fill(expected)


def test_a_request_is_sent_with_checks_and_each_ones_result_is_shown(
    asgi_live_server, shop_data, staff_session, real_recorder, playwright_api
):
    products = Product.objects.count()
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        open_console(page, asgi_live_server, staff_session)
        form = page.locator("form.console").first
        form.get_by_label("Path").fill("/api/v1/products/?page_size=2")
        add_check(form, "Status", None, "equals", "200")
        add_check(form, "JSON path", "results.0.id", "exists")
        add_check(form, "JSON path", "count", "equals", "-1")
        add_check(form, "Header", "Content-Type", "contains", "json")
        add_check(form, "Response time", None, "under (ms)", "60000")
        form.get_by_role("button", name="Send").click()

        result = page.get_by_test_id("test-result")
        expect(result).to_contain_text("failed")  # one check failed, the status did not
        rows = result.get_by_test_id("check-results").locator("tbody tr")
        expect(rows).to_have_count(5)
        expect(result.locator('tr[data-passed="true"]')).to_have_count(4)
        failed = result.locator('tr[data-passed="false"]')
        expect(failed).to_contain_text("count equals -1")
        expect(failed).to_contain_text(str(products))
        expect(rows.nth(3)).to_contain_text('header Content-Type contains "json"')

        # Checks the API refuses: its reasons, each naming the check.
        while form.get_by_test_id("check").count():
            form.get_by_role("button", name="Remove this check").first.click()
        add_check(form, "JSON path", "results[", "exists")
        add_check(form, "Status", None, "equals")
        form.get_by_role("button", name="Send").click()
        refused = page.get_by_test_id("test-refused")
        expect(refused).to_contain_text("Cannot read the JSON path 'results['")
        expect(refused).to_contain_text("assertions: #2: A status assertion needs one of equals.")
    assert [p for p in problems if "400 (Bad Request)" not in p] == []
