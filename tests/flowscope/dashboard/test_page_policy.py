"""The dashboard page in Chromium under its Content-Security-Policy: every view works and
the page reports no violation."""

from django.contrib.auth import get_user_model

from tests.browser import browser_page
from tests.flowscope.dashboard.conftest import VIOLATIONS


def test_every_view_works_under_the_policy(asgi_live_server, page_with_traffic, playwright_api):
    expect = playwright_api.expect
    page, problems = page_with_traffic
    base = asgi_live_server
    response = page.goto(f"{base}/debugging/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("recent-errors")).to_contain_text("KeyError")
    page.goto(f"{base}/debugging/#/workflows")
    expect(page.get_by_test_id("workflow-list").locator("tbody tr")).to_have_count(3)
    page.goto(f"{base}/debugging/#/workflows/wf-browse")
    bar = page.locator(".wf-bar").first
    expect(bar).to_be_visible()
    # Bars are placed by styles the scripts set: the policy must not have dropped them.
    assert bar.evaluate("(node) => node.style.width").endswith("%")
    assert page.locator(".bar-fill").first.evaluate("(node) => node.style.width").endswith("%")
    page.goto(f"{base}/debugging/#/errors")
    expect(page.get_by_test_id("error-groups").locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name="KeyError").click()
    expect(page.get_by_test_id("stack-trace")).to_be_visible()
    for section in ("performance", "testing", "reports", "settings"):
        page.goto(f"{base}/debugging/#/{section}")
        expect(page.locator(f'.view[data-view="{section}"]')).to_be_visible()
    assert page.evaluate("window.__violations") == []
    assert problems == []


def test_the_api_docs_work_under_their_policy(
    asgi_live_server, staff_session, playwright_api, transactional_db
):
    """Swagger UI runs no inline code: its set-up script is a request of its own."""
    with browser_page(playwright_api, init_script=VIOLATIONS) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": asgi_live_server}])
        response = page.goto(f"{asgi_live_server}/debugging/schema/docs/")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
        operation = page.locator(".opblock-summary-path", has_text="/debugging/workflows/")
        playwright_api.expect(operation.first).to_be_visible()
        assert page.evaluate("window.__violations") == []
        assert problems == []


def test_the_login_page_works_under_its_policy(asgi_live_server, playwright_api, transactional_db):
    """Its one script (carrying the view's #route into ``next``) is a file of its own."""
    get_user_model().objects.create_user("ops", password="ops-pass", is_staff=True)
    with browser_page(playwright_api, init_script=VIOLATIONS) as (page, problems):
        response = page.goto(f"{asgi_live_server}/debugging/#/reports")
        assert "script-src 'self';" in response.headers["content-security-policy"]
        page.get_by_label("Username").fill("ops")
        page.get_by_label("Password").fill("ops-pass")
        page.get_by_role("button", name="Log in").click()
        playwright_api.expect(page.locator('.view[data-view="reports"]')).to_be_visible()
        assert page.evaluate("window.__violations") == []
        assert problems == []
