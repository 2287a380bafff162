"""The testing console in Chromium: a workflow run's live trace, and a request sent with
assertions whose results (or whose refusal) the page shows."""

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
        expect(layers).to_contain_text("database", timeout=10_000)
        expect(live).not_to_contain_text("No steps yet")
    assert problems == []
