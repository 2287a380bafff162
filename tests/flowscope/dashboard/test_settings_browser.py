"""The settings form in Chromium: each threshold shows the project's default and can go
back to it; a save the API refuses shows the API's reason beside the field it names and
keeps what the user typed."""

import pytest

from tests.browser import browser_page

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = "the server responded with a status of 400"


@pytest.fixture
def settings_page(live_server, staff_session, playwright_api, settings):
    # The project sets the warning; flowscope's default critical stays.
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "THRESHOLDS": {"response_time_ms": {"warning": 750}},
    }
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/settings")
        playwright_api.expect(page.get_by_test_id("settings-form")).to_be_visible()
        yield page, problems, live_server.url
        assert [p for p in problems if REFUSED not in p and "WebSocket" not in p] == []


def saved(page, base):
    """The user's configurations, as the API has them (the test's thread runs Playwright's
    event loop: it reads through the API, not the ORM)."""
    return page.request.get(f"{base}/api/v1/debugging/dashboard-config/").json()["results"]


def field(page, name):
    """The label of the input ``name``: its caption, input, default and error."""
    return page.locator("label.field", has=page.locator(f'[name="{name}"]'))


def test_thresholds_show_their_defaults_and_reset_to_them(settings_page, playwright_api):
    page, _, base = settings_page
    expect = playwright_api.expect
    warning = field(page, "response_time_ms.warning")
    expect(warning).to_contain_text("default: 750")
    expect(field(page, "response_time_ms.critical")).to_contain_text("default: 2000")
    expect(field(page, "error_rate.warning")).to_contain_text("default: 0.05")
    expect(warning.locator("input")).to_have_attribute("placeholder", "750")

    warning.locator("input").fill("300")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("settings-status")).to_contain_text("Saved")
    [config] = saved(page, base)
    assert config["thresholds"] == {"response_time_ms": {"warning": 300}}

    page.reload()
    expect(warning.locator("input")).to_have_value("300")
    page.get_by_role("button", name="Reset p95 response time (ms) to default").click()
    expect(warning.locator("input")).to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("settings-status")).to_contain_text("Saved")
    [config] = saved(page, base)
    assert config["thresholds"] == {}
    page.reload()
    expect(warning.locator("input")).to_have_value("")


def test_a_refused_save_shows_the_reason_beside_the_field(settings_page, playwright_api):
    page, _, base = settings_page
    expect = playwright_api.expect
    warning = field(page, "response_time_ms.warning")
    critical = field(page, "response_time_ms.critical")
    warning.locator("input").fill("900")
    critical.locator("input").fill("100")
    field(page, "refresh_interval").locator("input").fill("86400")
    page.get_by_role("button", name="Save").click()

    expect(critical.get_by_role("alert")).to_have_text(
        "response_time_ms: 'critical' (100) must be past 'warning' (900) in the direction of worse."
    )
    expect(critical.locator("input")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "refresh_interval").get_by_role("alert")).to_contain_text(
        "less than or equal to 3600"
    )
    expect(warning.get_by_role("alert")).to_be_hidden()
    expect(page.get_by_test_id("settings-status")).to_contain_text("Not saved")
    # What the user typed is still there to correct.
    expect(warning.locator("input")).to_have_value("900")
    expect(critical.locator("input")).to_have_value("100")
    assert saved(page, base) == []

    critical.locator("input").fill("1900")
    field(page, "refresh_interval").locator("input").fill("20")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("settings-status")).to_contain_text("Saved")
    expect(critical.get_by_role("alert")).to_be_hidden()
    expect(critical.locator("input")).not_to_have_attribute("aria-invalid", "true")
    [config] = saved(page, base)
    assert (config["refresh_interval"], config["thresholds"]) == (
        20,
        {"response_time_ms": {"warning": 900, "critical": 1900}},
    )
