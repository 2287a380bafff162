"""The storefront in a real browser (Chromium through Playwright).

One click-through (sign in, search, add to the cart, check out) must be ONE workflow, from
the browser's fetch down to the database, the cache and the payment gateway, written by the
real recorder; and the flowscope SDK must add its headers only where it should without
changing what ``fetch`` does for the page.

Django's ORM refuses to run while Playwright's sync API is active in the same thread (its
event loop counts as "async context"), so each test talks to the database only before it
opens the browser and after it has closed it.
"""

import json
import re

import pytest

from flowscope.models import ErrorLog, WorkflowSession
from tests import storefront
from tests.browser import browser_page
from tests.shop_data import DECLINED_CARD, VALID_CARD, as_typed, make_catalogue
from tests.storefront import add_to_cart, check_out, declined_then_paid

HEX32 = re.compile(r"[0-9a-f]{32}")
HEX16 = re.compile(r"[0-9a-f]{16}")
INGEST_PATH = "/api/v1/debugging/ingest/"


@pytest.fixture
def catalogue(transactional_db, settings, alice):
    """Three products (two novels, then the trowel) and alice, committed."""
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 5, "FAILURE_RATE": 0.0}
    return make_catalogue(novels=2)


def sign_in(page, base_url, expect):
    storefront.sign_in(page, base_url, expect, products=3)


def shown_correlation_id(page):
    correlation_id = page.get_by_test_id("correlation-id").inner_text().strip()
    assert HEX32.fullmatch(correlation_id), correlation_id
    return correlation_id


def flush_sdk(page):
    """Send what the SDK still holds; every event must have been accepted."""
    stats = page.evaluate("Flowscope.flush()")
    assert stats["failed"] == stats["rejected"] == stats["internal_errors"] == 0, stats
    assert stats["sent"] > 0 and stats["queue_length"] == 0, stats
    return stats


def recorded(recorder, correlation_id):
    assert recorder.flush(10)
    workflow = WorkflowSession.objects.get(correlation_id=correlation_id)
    return workflow, list(workflow.steps.all())


def test_checkout_click_through_is_one_workflow(
    live_server, catalogue, real_recorder, playwright_api, pytestconfig
):
    expect = playwright_api.expect
    trowel = catalogue[-1]
    with browser_page(playwright_api) as (page, problems):
        sign_in(page, live_server.url, expect)
        page.get_by_label("Search products").fill("trowel")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.get_by_test_id("catalogue-status")).to_have_text("1 product matching “trowel”.")
        page.get_by_role("button", name=f"Add {trowel.name} to cart").click()
        expect(page.get_by_test_id("cart-line")).to_have_count(1)
        expect(page.get_by_test_id("cart-total")).to_have_text("$7.25")
        check_out(page, as_typed(VALID_CARD))
        success = page.get_by_test_id("checkout-success")
        expect(success).to_be_visible()
        expect(success).to_contain_text("is placed")
        expect(page.get_by_test_id("workflow-status")).to_have_text("finished: order placed")
        correlation_id = shown_correlation_id(page)
        flush_sdk(page)
        artifacts = pytestconfig.rootpath / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / "storefront.png"), full_page=True)
    assert problems == []

    workflow, steps = recorded(real_recorder, correlation_id)
    assert (workflow.workflow_type, workflow.status, workflow.error_count) == (
        "checkout",
        "completed",
        0,
    )
    assert {s.layer for s in steps} >= {"frontend", "api", "database", "cache", "external"}
    fetches = {
        s.span_id: s for s in steps if s.layer == "frontend" and s.metadata.get("kind") == "fetch"
    }
    api = [s for s in steps if s.layer == "api"]
    assert sorted(s.name for s in api) == [
        "GET /api/v1/cart/",
        "GET /api/v1/products/",  # the first page, after signing in
        "GET /api/v1/products/",  # the search
        "POST /api/v1/auth/login/",
        "POST /api/v1/cart/items/",
        "POST /api/v1/orders/checkout/",
    ]
    assert workflow.request_count == len(api)
    # Every request came from the page: each API step is the child of the fetch that sent it.
    for step in api:
        fetch = fetches[step.parent_span_id]
        assert fetch.name.split(" ", 1)[0] == step.name.split(" ", 1)[0]
        assert fetch.metadata["status_code"] == step.metadata["status_code"]
    checkout_api = next(s for s in api if s.name == "POST /api/v1/orders/checkout/")
    checkout_fetch = fetches[checkout_api.parent_span_id]
    assert checkout_fetch.name == "POST /api/v1/orders/checkout/"
    assert checkout_fetch.metadata == {
        "kind": "fetch",
        "method": "POST",
        "url": "/api/v1/orders/checkout/",
        "status_code": 201,
    }
    # The browser's clock and the server's are the same here: the times line up.
    assert abs((checkout_api.started_at - checkout_fetch.started_at).total_seconds()) < 1
    assert checkout_fetch.duration_ms >= checkout_api.duration_ms
    search = [f for f in fetches.values() if f.metadata["url"].endswith("search=trowel")]
    assert [f.name for f in search] == ["GET /api/v1/products/"]
    charge = next(s for s in steps if s.layer == "external")
    assert charge.name == "payment_gateway.charge"
    assert charge.parent_span_id == checkout_api.span_id
    assert [
        s.name for s in steps if s.layer == "frontend" and s.metadata.get("kind") == "workflow"
    ] == ["workflow.complete"]


def test_one_visit_is_one_journey_and_the_page_load_joins_its_render(
    live_server, catalogue, real_recorder, playwright_api
):
    """The render, the page's load timings and the checkout the visitor then runs: one
    journey id (the SDK's session cookie); the timings in the render's own workflow."""
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        sign_in(page, live_server.url, expect)
        page.get_by_role("button", name=f"Add {catalogue[0].name} to cart").click()
        expect(page.get_by_test_id("cart-line")).to_have_count(1)
        check_out(page, as_typed(VALID_CARD))
        expect(page.get_by_test_id("workflow-status")).to_have_text("finished: order placed")
        checkout_id = shown_correlation_id(page)
        flush_sdk(page)
        journey = page.evaluate("Flowscope.journeyId")
        page_id = page.evaluate("Flowscope.pageCorrelationId")
        cookie = next(c for c in page.context.cookies() if c["name"] == "flowscope_journey")
    assert problems == []
    assert cookie["value"] == journey
    assert real_recorder.flush(10)
    render = WorkflowSession.objects.get(correlation_id=page_id)
    names = set(render.steps.values_list("name", flat=True))
    assert {"GET /shop/", "page.navigation"} <= names  # the render and the load, together
    assert render.journey_id == journey
    checkout = WorkflowSession.objects.get(correlation_id=checkout_id)
    assert (checkout.journey_id, checkout.status) == (journey, "completed")
    visit = WorkflowSession.objects.filter(journey_id=journey).order_by("started_at")
    assert visit.first().correlation_id == page_id and checkout in visit


def test_declined_card_shows_the_error_and_fails_the_workflow(
    live_server, catalogue, real_recorder, playwright_api
):
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        sign_in(page, live_server.url, expect)
        page.get_by_role("button", name=f"Add {catalogue[1].name} to cart").click()
        expect(page.get_by_test_id("cart-line")).to_have_count(1)
        check_out(page, as_typed(DECLINED_CARD))
        error = page.get_by_test_id("checkout-error")
        expect(error).to_be_visible()
        expect(error).to_have_text("The card was declined by its issuer.")
        expect(page.get_by_role("alert").filter(has_text="declined")).to_have_count(1)
        expect(page.get_by_test_id("checkout-success")).to_be_hidden()
        expect(page.get_by_test_id("workflow-status")).to_have_text("finished: checkout failed")
        expect(page.get_by_test_id("cart-line")).to_have_count(1)  # nothing was bought
        correlation_id = shown_correlation_id(page)
        flush_sdk(page)
    # The browser reports the 402 answer on its console; nothing else may go wrong.
    assert [p for p in problems if "status of 402" not in p] == []

    workflow, steps = recorded(real_recorder, correlation_id)
    assert (workflow.workflow_type, workflow.status) == ("checkout", "failed")
    checkout_api = next(
        s for s in steps if s.layer == "api" and s.name == "POST /api/v1/orders/checkout/"
    )
    assert (checkout_api.status, checkout_api.metadata["status_code"]) == ("error", 402)
    fetch = next(s for s in steps if s.span_id == checkout_api.parent_span_id)
    # The fetch failed as the API step did: a decline is red in the browser's layer too.
    assert (fetch.layer, fetch.status, fetch.metadata["status_code"]) == ("frontend", "error", 402)
    errors = ErrorLog.objects.filter(workflow=workflow)
    assert [(e.layer, e.message) for e in errors] == [
        ("api", "402 Payment Required: The card was declined by its issuer.")
    ]


def test_a_declined_checkout_and_the_retry_that_paid_are_one_completed_workflow(
    live_server, catalogue, real_recorder, playwright_api
):
    """The SDK continues the failed checkout for the retry; the store keeps the failed
    attempt (its error, its red steps) in the workflow the retry completed."""
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        sign_in(page, live_server.url, expect)
        add_to_cart(page, expect, catalogue[1])
        declined, paid = declined_then_paid(page, expect)
        flush_sdk(page)
        # Paid: the next checkout is a workflow of its own.
        add_to_cart(page, expect, catalogue[0])
        expect(page.get_by_test_id("workflow-status")).to_have_text("in progress")
        next_one = shown_correlation_id(page)
    assert [p for p in problems if "status of 402" not in p] == []
    assert HEX32.fullmatch(paid) and paid == declined != next_one

    workflow, steps = recorded(real_recorder, paid)
    assert (workflow.status, workflow.failed_attempts, workflow.error_count) == (
        "completed",
        1,
        1,
    )
    checkouts = [
        (s.status, s.metadata["status_code"])
        for s in steps
        if s.layer == "api" and s.name == "POST /api/v1/orders/checkout/"
    ]
    assert checkouts == [("error", 402), ("ok", 201)]
    error = ErrorLog.objects.get(workflow=workflow)
    assert error.message == "402 Payment Required: The card was declined by its issuer."
    assert workflow.duration_ms >= (error.created_at - workflow.started_at).total_seconds() * 1000
    checkouts = WorkflowSession.objects.filter(workflow_type="checkout")
    assert set(checkouts.values_list("correlation_id", flat=True)) == {paid, next_one}


# Installed before the SDK: hands out (and remembers) the promises the real fetch returns,
# so the test can tell whether the SDK gives the page exactly those.
REMEMBER_FETCH_PROMISES = """
window.__promises = [];
const realFetch = window.fetch;
window.fetch = function (...args) {
  const promise = realFetch.apply(this, args);
  window.__promises.push(promise);
  return promise;
};
"""

SDK_CHECKS = """async () => {
  const headersOf = async (response) => (await response.json()).headers;
  const out = {};
  out.noWorkflow = await headersOf(await fetch('/echo/none'));
  const workflow = Flowscope.startWorkflow('checkout');
  out.correlationId = workflow.correlationId;
  out.current = Flowscope.currentWorkflow().correlationId;

  const promise = fetch('/echo/plain?x=1');
  out.samePromise = promise === window.__promises[window.__promises.length - 1];
  const response = await promise;
  out.isResponse = response instanceof Response;
  out.plain = await headersOf(response);

  out.url = await headersOf(await fetch(new URL('/echo/url', location.href)));
  const request = new Request('/echo/request', {
    method: 'POST', body: 'hello', headers: {'X-Test': '1', 'Content-Type': 'text/plain'},
  });
  const echoed = await (await fetch(request)).json();
  out.request = echoed.headers;
  out.requestBody = echoed.body;
  const callerHeaders = new Headers({'X-Other': 'y'});
  out.headersInstance = await headersOf(
    await fetch('/echo/headers', {method: 'PUT', headers: callerHeaders, body: 'x'}));
  out.callerHeaders = [...callerHeaders.keys()];
  out.own = await headersOf(await fetch('/echo/own', {
    headers: {traceparent: '00-11111111111111111111111111111111-2222222222222222-01'}}));
  out.crossOrigin = await headersOf(await fetch('http://other.test/echo/cross'));
  Flowscope.init({propagateTo: ['http://other.test']});
  out.propagated = await headersOf(await fetch('http://other.test/echo/propagated'));
  Flowscope.init({propagateTo: []});
  out.ingest = await headersOf(await fetch('/api/v1/debugging/ingest/?probe=1'));
  try {
    await fetch('/echo/down');
    out.networkError = 'none';
  } catch (error) {
    out.networkError = error.name;
  }
  out.unavailable = (await fetch('/echo/status-503')).status;
  setTimeout(() => { throw new TypeError('a bug in the page'); }, 0);
  await new Promise((resolve) => setTimeout(resolve, 50));
  workflow.complete();
  out.afterComplete = Flowscope.currentWorkflow();
  out.afterCompleteHeaders = await headersOf(await fetch('/echo/after'));
  out.stats = await Flowscope.flush();
  return out;
}"""

TRACE_HEADERS = {"x-correlation-id", "x-workflow-type", "traceparent"}


def test_sdk_traces_same_origin_fetches_without_changing_fetch(live_server, playwright_api):
    """The SDK against a stand-in server (Playwright routes): no database involved."""
    ingested = []

    def echo(route):
        request = route.request
        status = 503 if request.url.endswith("status-503") else 200
        route.fulfill(
            status=status,
            json={"headers": request.headers, "body": request.post_data},
            headers={"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"},
        )

    def ingest(route):
        request = route.request
        if "probe=1" in request.url:  # the page's own request to the ingest URL
            route.fulfill(json={"headers": request.headers})
            return
        ingested.append((request.headers, json.loads(request.post_data)))
        route.fulfill(status=202, json={"accepted": 1})

    with browser_page(playwright_api, REMEMBER_FETCH_PROMISES) as (page, problems):
        page.route("**/echo/**", echo)
        # Registered last, so it wins over the route above (Playwright tries the newest first).
        page.route("**/echo/down", lambda route: route.abort("connectionrefused"))
        page.route(f"**{INGEST_PATH}**", ingest)
        page.goto(f"{live_server.url}/shop/")
        out = page.evaluate(SDK_CHECKS)

    cid = out["correlationId"]
    assert HEX32.fullmatch(cid) and out["current"] == cid
    assert out["samePromise"] is True and out["isResponse"] is True

    def traced(headers):
        assert headers["x-correlation-id"] == cid
        assert headers["x-workflow-type"] == "checkout"
        version, trace_id, span_id, flags = headers["traceparent"].split("-")
        assert (version, trace_id, flags) == ("00", cid, "01") and HEX16.fullmatch(span_id)
        return span_id

    def untraced(headers):
        assert not TRACE_HEADERS & set(headers), headers

    untraced(out["noWorkflow"])
    spans = {traced(out[key]) for key in ("plain", "url", "request", "headersInstance")}
    assert len(spans) == 4  # a new span for every fetch
    assert out["request"]["x-test"] == "1" and out["requestBody"] == "hello"
    assert out["headersInstance"]["x-other"] == "y"
    assert out["callerHeaders"] == ["x-other"]  # the caller's Headers are not changed
    assert out["own"]["traceparent"].startswith("00-1111") and "x-correlation-id" not in out["own"]
    untraced(out["crossOrigin"])
    traced(out["propagated"])
    untraced(out["ingest"])
    assert out["networkError"] == "TypeError" and out["unavailable"] == 503
    assert out["afterComplete"] is None
    untraced(out["afterCompleteHeaders"])
    assert out["stats"]["failed"] == out["stats"]["internal_errors"] == 0
    assert [p for p in problems if "503" not in p and "ERR_CONNECTION_REFUSED" not in p] == [
        "pageerror: a bug in the page"
    ]

    assert ingested, "the SDK sent nothing"
    for headers, _ in ingested:
        assert headers["content-type"] == "application/json"
        assert headers["x-flowscope-key"] == "flowscope-demo-ingest-key"
    events = [event for _, body in ingested for event in body["events"]]
    mine = [e for e in events if e["correlation_id"] == cid]
    assert all(e["workflow_type"] == "checkout" for e in mine)
    steps = {e["name"]: e for e in mine if e["type"] == "step"}
    plain = steps["GET /echo/plain"]
    assert plain["metadata"] == {
        "kind": "fetch",
        "method": "GET",
        "url": "/echo/plain?x=1",
        "status_code": 200,
    }
    assert plain["status"] == "ok" and plain["span_id"] in spans
    assert abs(plain["started_at"] - events[0]["started_at"]) < 60_000
    assert steps["POST /echo/request"]["metadata"]["method"] == "POST"
    assert steps["GET /echo/down"]["status"] == "error"
    assert steps["GET /echo/down"]["metadata"]["status_code"] == 0
    assert steps["GET /echo/status-503"]["status"] == "error"
    assert steps["workflow.complete"]["complete"] is True
    assert "GET /echo/after" not in steps and "GET /echo/cross" not in steps
    error = next(e for e in mine if e["type"] == "error")
    assert (error["error_type"], error["message"]) == ("TypeError", "a bug in the page")
    assert "a bug in the page" in error["stack"]
    # The page load happened before the workflow: it has the page's own correlation ID.
    navigation = next(e for e in events if e.get("name") == "page.navigation")
    assert HEX32.fullmatch(navigation["correlation_id"]) and navigation["correlation_id"] != cid
    assert navigation["workflow_type"] == "page_view" and navigation["complete"] is True
    assert navigation["metadata"]["url"] == "/shop/" and navigation["duration_ms"] > 0
    assert {"ttfb", "dom_content_loaded", "transfer_size"} <= set(navigation["metadata"])


RETRY_CHECKS = """async () => {
  const run = async (type, path) => {
    const workflow = Flowscope.startWorkflow(type);
    try { await fetch(path); } catch (error) { /* no answer: a failed fetch too */ }
    workflow.complete();
    return [workflow.correlationId, workflow.attempt];
  };
  const out = {};
  out.declined = await run('checkout', '/echo/status-402');
  out.retried = await run('checkout', '/echo/status-402');
  out.paid = await run('checkout', '/echo/ok');
  out.afterSuccess = await run('checkout', '/echo/status-500');
  out.otherType = await run('login', '/echo/ok');
  out.afterOtherType = await run('checkout', '/echo/down');
  Flowscope.endWorkflow();
  out.afterAbandoned = await run('checkout', '/echo/status-402');
  Flowscope.init({retryWindowMs: 0});
  await new Promise((resolve) => setTimeout(resolve, 20));
  out.tooLate = await run('checkout', '/echo/status-402');
  Flowscope.init({retryWindowMs: 60000});
  return out;
}"""


def test_sdk_continues_a_failed_workflow_for_the_retry_of_the_same_type(
    live_server, playwright_api
):
    """Which workflow a retry continues, against a stand-in server (Playwright routes)."""

    def echo(route):
        status = (
            int(route.request.url.rsplit("status-", 1)[1])
            if "status-" in route.request.url
            else 200
        )
        route.fulfill(status=status, json={})

    with browser_page(playwright_api) as (page, problems):
        page.route("**/echo/**", echo)
        page.route("**/echo/down", lambda route: route.abort("connectionrefused"))
        page.route(f"**{INGEST_PATH}**", lambda route: route.fulfill(status=202, json={}))
        page.goto(f"{live_server.url}/shop/")
        out = page.evaluate(RETRY_CHECKS)
        failed_before_reload = out["tooLate"][0]
        page.reload()
        after_reload = page.evaluate(
            "() => { const w = Flowscope.startWorkflow('checkout');"
            " return [w.correlationId, w.attempt]; }"
        )

    ids = {name: value[0] for name, value in out.items()}
    attempts = {name: value[1] for name, value in out.items()}
    assert ids["declined"] == ids["retried"] == ids["paid"]  # two retries of one workflow
    assert [attempts[n] for n in ("declined", "retried", "paid")] == [1, 2, 3]
    assert ids["afterSuccess"] != ids["paid"]  # a success ends it
    assert ids["afterOtherType"] not in (ids["afterSuccess"], ids["otherType"])  # so does a type
    assert ids["afterAbandoned"] != ids["afterOtherType"]  # and abandoning it
    assert ids["tooLate"] != ids["afterAbandoned"]  # and the retry window
    assert attempts["tooLate"] == 1
    # A reload keeps the failure for the retry (the browser session's storage).
    assert after_reload == [failed_before_reload, 2]
    assert [p for p in problems if "status of" not in p and "CONNECTION_REFUSED" not in p] == []
