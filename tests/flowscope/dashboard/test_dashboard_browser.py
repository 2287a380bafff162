"""The dashboard in a real browser (Chromium through Playwright) against the example
project served over ASGI (HTTP and WebSockets), with the real recorder writing traces.

Django's ORM refuses to run while Playwright's sync API is active in the same thread, so
data is made before the browser opens and, while it is open, only by HTTP requests to the
server — which is how real traffic arrives anyway.
"""

import json
import math
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from flowscope.models import PerformanceSnapshot
from tests.browser import browser_page
from tests.flowscope.dashboard.shots import Shots
from tests.flowscope.dashboard.traffic import call, shop_traffic

PAGE_BUDGET_SECONDS = 3.0


@pytest.fixture
def rollups(transactional_db):
    """Forty minutes of per-minute rollups, as the recorder writes them, for the charts
    (a live test cannot wait for real minutes to close); one of them an alert."""
    now = timezone.now().replace(second=0, microsecond=0)
    rows = []
    for minute in range(40, 0, -1):
        at = now - timedelta(minutes=minute)
        wave = math.sin(minute / 5)
        requests = int(30 + 12 * wave)
        rows += [
            snapshot("throughput_rpm", "api", "*", at, requests, requests),
            snapshot(
                "response_time_ms",
                "api",
                "GET /api/v1/products/",
                at,
                requests,
                40 + 10 * wave,
                p95=90 + 30 * wave,
            ),
            snapshot(
                "response_time_ms",
                "api",
                "POST /api/v1/orders/checkout/",
                at,
                3,
                180 + 40 * wave,
                p95=260 + 60 * wave,
            ),
            snapshot(
                "response_time_ms",
                "database",
                'SELECT ... FROM "shop_product"',
                at,
                requests * 3,
                1.5,
                p95=4 + wave,
            ),
            snapshot(
                "error_rate",
                "api",
                "GET /api/v1/shipping/estimate/",
                at,
                4,
                max(0.0, 0.1 + 0.1 * wave),
            ),
            snapshot("cache_hit_ratio", "cache", "default", at, requests, 0.7 + 0.2 * wave),
        ]
    rows.append(
        snapshot(
            "response_time_ms",
            "api",
            "POST /api/v1/orders/checkout/",
            now - timedelta(minutes=5),
            3,
            2400,
            p95=2600,
            metric_alert=("critical", 2000),
            source="alerts",
        )
    )
    PerformanceSnapshot.objects.bulk_create(rows)


def snapshot(
    metric, layer, component, at, count, value, p95=None, metric_alert=None, source="test"
):
    severity, threshold = metric_alert or ("", None)
    return PerformanceSnapshot(
        metric=metric,
        layer=layer,
        component=component,
        source=source,
        window_start=at,
        count=count,
        value=value,
        p50=value if p95 else None,
        p95=p95,
        p99=p95 and p95 * 1.2,
        threshold=threshold,
        is_alert=bool(metric_alert),
        severity=severity,
    )


def timed(timings, name, action, ready):
    started = time.perf_counter()
    action()
    ready()
    timings[name] = round(time.perf_counter() - started, 3)


def test_dashboard_end_to_end(
    asgi_live_server, shop_data, rollups, staff_session, real_recorder, playwright_api, pytestconfig
):
    expect = playwright_api.expect
    base = asgi_live_server
    product = shop_data[0]
    timings = {}
    with browser_page(playwright_api) as (page, problems):
        shot = Shots(page, pytestconfig.rootpath)
        sections = page.get_by_role("navigation", name="Dashboard sections")

        def nav(name):
            return sections.get_by_role("link", name=name, exact=True)

        page.context.add_cookies([{**staff_session, "url": base}])
        page.goto(f"{base}/debugging/")
        state = page.get_by_test_id("connection-state")
        expect(state).to_have_attribute("data-state", "live")
        expect(page.get_by_test_id("empty-state")).to_contain_text("No traffic recorded yet")
        shot("empty")
        page.keyboard.press("Tab")  # keyboard users land on the skip link first
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

        # Traffic arrives: the overview fills in live.
        shop_traffic(base, product.pk)
        assert real_recorder.flush(10)
        recent = page.get_by_test_id("recent-errors")
        expect(recent).to_contain_text("KeyError")
        expect(recent).to_contain_text("402")
        timed(
            timings,
            "overview",
            page.reload,
            lambda: expect(page.get_by_test_id("health-api")).not_to_have_attribute(
                "data-status", "unknown"
            ),
        )
        expect(page.get_by_test_id("health-database")).not_to_have_attribute(
            "data-status", "unknown"
        )
        expect(page.get_by_test_id("empty-state")).to_have_count(0)
        expect(page.get_by_test_id("chart-throughput_rpm").locator("path.line")).to_have_count(1)
        shot("overview")

        # Workflows: the list, then the checkout's waterfall.
        timed(
            timings,
            "workflows",
            lambda: nav("Workflows").click(),
            lambda: expect(page.get_by_test_id("workflow-list").locator("tbody tr")).to_have_count(
                3
            ),
        )
        page.get_by_label("Type", exact=True).fill("checkout")
        page.get_by_label("Type", exact=True).press("Enter")
        expect(page.get_by_test_id("workflow-list").locator("tbody tr")).to_have_count(0)
        page.get_by_label("Type", exact=True).fill("login")
        page.get_by_label("Type", exact=True).press("Enter")
        expect(page.get_by_test_id("workflow-list")).to_contain_text("wf-checkout")
        page.get_by_label("Type", exact=True).fill("")
        page.get_by_label("Type", exact=True).press("Enter")
        listed = page.get_by_test_id("workflow-list").locator("tbody tr")
        expect(listed).to_have_count(3)
        page.get_by_label("Status").select_option("failed")
        expect(listed).to_have_count(2)  # the declined checkout and the shipping estimate's 500
        expect(listed.filter(has_text="wf-browse")).to_have_count(0)
        shot("workflows")
        timed(
            timings,
            "workflow",
            lambda: page.goto(f"{base}/debugging/#/workflows/wf-browse"),
            lambda: expect(page.get_by_test_id("waterfall-row").first).to_be_visible(),
        )
        rows = page.get_by_test_id("waterfall-row")
        expect(rows.filter(has_text="GET /api/v1/products/<int:pk>/related/")).to_have_count(1)
        n_plus_one = page.locator('[data-testid="waterfall-row"][data-flags~="n1"]')
        assert n_plus_one.count() >= 5
        # A repeated query: its parameters beside its SQL, and its plan on demand.
        n_plus_one.first.click()
        details = page.get_by_test_id("step-details")
        expect(details).to_contain_text("shop_category")
        expect(details.get_by_test_id("sql-params")).to_be_visible()
        details.get_by_test_id("explain-button").click()
        expect(details.get_by_test_id("explain-plan")).to_contain_text("shop_category")
        expect(page.get_by_test_id("trace-connection")).to_have_attribute("data-state", "live")
        shot("waterfall")

        # A workflow that has not started yet: its steps appear live.
        page.goto(f"{base}/debugging/#/workflows/wf-live")
        expect(page.get_by_test_id("trace-connection")).to_have_attribute("data-state", "live")
        expect(page.get_by_test_id("step-count")).to_have_text("0 steps")
        call(base, "/api/v1/products/?page_size=2", "wf-live")
        expect(rows.filter(has_text="GET /api/v1/products/")).to_have_count(1, timeout=30_000)
        expect(
            page.locator('[data-testid="waterfall-row"][data-layer="database"]').first
        ).to_be_visible()
        expect(page.locator(".wf-row.fresh")).to_have_count(0)  # the arrival highlight faded
        shot("waterfall-live")

        # Errors: the groups, then one group; resolve it.
        timed(
            timings,
            "errors",
            lambda: nav("Errors").click(),
            lambda: expect(page.get_by_test_id("error-groups").locator("tbody tr")).to_have_count(
                2
            ),
        )
        expect(page.get_by_test_id("error-groups").locator("svg.sparkline rect")).not_to_have_count(
            0
        )
        shot("errors")
        timed(
            timings,
            "error",
            lambda: page.get_by_role("link", name="KeyError").click(),
            lambda: expect(page.get_by_test_id("stack-trace")).to_be_visible(),
        )
        expect(page.locator(".frame.in-app").first).to_be_visible()
        expect(page.get_by_test_id("error-workflows")).to_contain_text("wf-shipping")
        expect(page.get_by_test_id("error-state")).to_have_text("open")
        page.get_by_role("button", name="Resolve").click()
        expect(page.get_by_test_id("error-state")).to_have_text("resolved")
        expect(page.get_by_role("button", name="Reopen")).to_be_visible()
        shot("error")
        nav("Errors").click()
        expect(page.get_by_test_id("error-groups").locator("tbody tr")).to_have_count(1)
        # The failed checkout's group (the declined card): open it, resolve it.
        page.get_by_role("link", name="HTTP 402").click()
        expect(page.get_by_test_id("error-state")).to_have_text("open")
        page.get_by_role("button", name="Resolve").click()
        expect(page.get_by_test_id("error-state")).to_have_text("resolved")
        nav("Errors").click()

        # Cut the dashboard socket and keep it from coming back: the page says so and
        # catches up over HTTP; then it reconnects.
        nav("Overview").click()
        expect(page.get_by_test_id("health-api")).to_be_visible()
        page.evaluate(
            """() => {
                window.__RealWebSocket = window.WebSocket;
                window.WebSocket = function () { throw new Error("blocked by the test"); };
                window.flowscopeDashboard.live.socket.close();
            }"""
        )
        expect(state).to_have_attribute("data-state", "polling")
        call(base, "/api/v1/products/999999/related/", "wf-while-down")
        call(base, "/api/v1/shipping/estimate/?country=YY", "wf-while-down")
        assert real_recorder.flush(10)
        expect(page.get_by_test_id("recent-errors")).to_contain_text("YY", timeout=30_000)
        shot("polling", full_page=False)
        page.evaluate("() => { window.WebSocket = window.__RealWebSocket; }")
        expect(state).to_have_attribute("data-state", "live", timeout=20_000)

        timed(
            timings,
            "performance",
            lambda: nav("Performance").click(),
            lambda: expect(page.get_by_test_id("perf-layers")).to_be_visible(),
        )
        expect(page.get_by_test_id("perf-response_time_ms").locator("path.line")).to_have_count(1)
        expect(page.get_by_test_id("alerts")).to_contain_text("POST /api/v1/orders/checkout/")
        shot("performance")

        # The testing console runs the checkout and shows its trace building live (the
        # steps arrive over the workflow socket); the full trace opens from the result.
        timed(
            timings,
            "testing",
            lambda: nav("Testing").click(),
            lambda: expect(page.get_by_role("button", name="Run workflow")).to_be_visible(),
        )
        page.get_by_label("Workflow", exact=True).select_option("checkout")
        # The workflow's long description stays inside its panel: nothing scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.get_by_role("button", name="Run workflow").click()
        live = page.get_by_test_id("live-run")
        expect(live.locator('[data-testid="waterfall-row"][data-layer="external"]')).to_have_count(
            1, timeout=20_000
        )
        expect(page.get_by_test_id("test-result")).to_contain_text("passed", timeout=20_000)
        # Where its time went follows the steps drawn.
        expect(live.get_by_test_id("time-per-layer")).to_contain_text("database", timeout=30_000)
        shot("testing", full_page=False)
        page.get_by_test_id("trace-link").click()
        expect(rows.filter(has_text="POST /api/v1/orders/checkout/")).to_have_count(1)
        external = page.locator('[data-testid="waterfall-row"][data-layer="external"]')
        expect(external).to_have_count(1)
        page.get_by_role("button", name="Generate a report").click()
        # Generated on the server (a dozen queries): as slow as the machine is busy.
        expect(page.get_by_test_id("report-summary")).to_contain_text("completed", timeout=20_000)

        # Reports: generate, list, download.
        timed(
            timings,
            "reports",
            lambda: nav("Reports").click(),
            lambda: expect(page.get_by_role("button", name="System health report")).to_be_visible(),
        )
        page.get_by_role("button", name="System health report").click()
        expect(page.get_by_test_id("report-list").locator("tbody tr")).to_have_count(2)
        with page.expect_download() as download:
            page.get_by_test_id("export-md").first.click()
        assert download.value.suggested_filename.endswith(".md")
        shot("reports")
        page.get_by_test_id("report-list").get_by_role("link").first.click()
        expect(page.get_by_test_id("report-summary")).to_be_visible()
        shot("report")

        # Settings: a threshold every layer is past turns the health critical.
        timed(
            timings,
            "settings",
            lambda: nav("Settings").click(),
            lambda: expect(page.get_by_test_id("settings-form")).to_be_visible(),
        )
        page.locator('input[name="response_time_ms.warning"]').fill("0.001")
        page.locator('input[name="response_time_ms.critical"]').fill("0.002")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("settings-status")).to_contain_text("Saved")
        shot("settings")
        nav("Overview").click()
        expect(page.get_by_test_id("health-api")).to_have_attribute("data-status", "critical")

        # A narrow screen, and the dark scheme.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/debugging/#/workflows/wf-checkout")
        expect(page.get_by_test_id("waterfall-row").first).to_be_visible()
        shot("narrow")
        page.emulate_media(color_scheme="dark")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{base}/debugging/#/overview")
        expect(page.get_by_test_id("health-api")).to_be_visible()
        shot("dark")
    artifacts = pytestconfig.rootpath / "test-artifacts"  # absent when shots go elsewhere
    artifacts.mkdir(exist_ok=True)
    (artifacts / "dashboard-timings.json").write_text(json.dumps(timings, indent=2))
    print("dashboard page timings (s):", timings)
    assert problems == []
    assert all(seconds < PAGE_BUDGET_SECONDS for seconds in timings.values()), timings


def test_served_over_wsgi_the_page_polls(
    live_server, shop_data, staff_session, real_recorder, playwright_api
):
    """pytest-django's live server speaks WSGI only: the page opens no socket, says that it
    polls and why, and keeps itself current over HTTP."""
    expect = playwright_api.expect
    with browser_page(playwright_api, init_script=COUNT_SOCKETS) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/")
        state = page.get_by_test_id("connection-state")
        expect(state).to_have_attribute("data-state", "polling")
        expect(state).to_have_attribute("title", re.compile("no WebSockets"))
        expect(page.get_by_test_id("empty-state")).to_be_visible()
        call(live_server.url, "/api/v1/shipping/estimate/?country=ZZ", "wf-polled")
        assert real_recorder.flush(10)
        expect(page.get_by_test_id("recent-errors")).to_contain_text("ZZ", timeout=30_000)
        page.goto(f"{live_server.url}/debugging/#/workflows/wf-polled")
        expect(page.get_by_test_id("trace-connection")).to_have_attribute("data-state", "polling")
        expect(page.get_by_test_id("waterfall-row").first).to_be_visible()
        assert page.evaluate("window.__socketsOpened") == 0
    assert problems == []


COUNT_SOCKETS = """
window.__socketsOpened = 0;
const RealWebSocket = window.WebSocket;
window.WebSocket = function (...args) {
  window.__socketsOpened += 1;
  return new RealWebSocket(...args);
};
"""


def test_without_a_channel_layer_the_page_says_live_updates_are_off_and_polls(
    asgi_live_server, shop_data, staff_session, real_recorder, playwright_api, settings
):
    """A host that left out the channel layer and the API docs' apps: the page says what
    is off instead of trying a socket, keeps itself current over HTTP, and its API link
    leads to the schema rather than to a failing page."""
    settings.CHANNEL_LAYERS = {}
    settings.INSTALLED_APPS = [
        app for app in settings.INSTALLED_APPS if not app.startswith("drf_spectacular")
    ]
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": asgi_live_server}])
        page.goto(f"{asgi_live_server}/debugging/")
        state = page.get_by_test_id("connection-state")
        expect(state).to_have_attribute("data-state", "off")
        expect(state).to_have_text("live updates off: no channel layer")
        assert "Set CHANNEL_LAYERS" in state.get_attribute("title")
        expect(page.get_by_test_id("empty-state")).to_be_visible()
        call(asgi_live_server, "/api/v1/shipping/estimate/?country=ZZ", "wf-polled")
        assert real_recorder.flush(10)
        expect(page.get_by_test_id("recent-errors")).to_contain_text("ZZ", timeout=30_000)
        docs = page.get_by_test_id("api-docs-off")
        expect(docs).to_contain_text("API docs off: 'drf_spectacular', 'drf_spectacular_sidecar'")
        schema = page.request.get(asgi_live_server + docs.get_by_role("link").get_attribute("href"))
        assert schema.status == 200 and "/health/:" in schema.text()
    assert problems == []  # no socket was tried
