"""The alert history in the page: an error never seen before, raised by a real request,
is an alert that reached its webhook, and the page lists it with its delivery. The
performance page's threshold alerts show the value that fired, in its unit."""

import json

import pytest
from django.utils import timezone

from flowscope.alerts.courier import courier
from flowscope.alerts.evaluation import evaluate_committed
from flowscope.recording.rollups import RollupBuffer
from tests.browser import browser_page
from tests.flowscope.alerts.receiver import webhook_receiver
from tests.flowscope.dashboard.traffic import call
from tests.flowscope.factories import make_trace

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhook(settings):
    evaluate_committed.forget()  # the store starts empty: every error group is new
    with webhook_receiver() as server:
        settings.FLOWSCOPE = {**settings.FLOWSCOPE, "ALERT_WEBHOOKS": [server.url]}
        yield server


def test_a_new_error_is_sent_and_listed_in_the_alert_history(
    live_server, shop_data, staff_session, real_recorder, playwright_api, webhook
):
    call(live_server.url, "/api/v1/shipping/estimate/?country=ZZ", "wf-alerted")
    assert real_recorder.flush(10)
    assert courier.flush(30)
    [body] = webhook.bodies
    text = json.loads(body)["text"]
    assert text.startswith("[flowscope] New error: ")

    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/alerts")
        alerts = page.get_by_test_id("alert-list")
        expect(alerts).to_contain_text(text.removeprefix("[flowscope] "))
        expect(alerts).to_contain_text("new-errors")
        expect(alerts.locator(".badge")).to_have_text("webhook sent")

        page.get_by_label("Kind").select_option("p95")
        expect(page.get_by_test_id("empty-state")).to_contain_text("No alerts")
    assert [p for p in problems if "WebSocket connection to" not in p] == []


def test_a_threshold_alert_shows_the_value_that_fired_with_its_unit(
    live_server, staff_session, playwright_api, settings
):
    """Nine requests of 100 ms and one of a second that failed: the mean (190 ms) is under
    the warning, the p95 (1 s) past it; one error in ten is past the error rate's 5 %."""
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "THRESHOLDS": {"response_time_ms": {"warning": 500, "critical": 5000}},
    }
    buffer = RollupBuffer("host:1")
    # One window: a request counts in the window it ends in.
    now = timezone.now().replace(second=10, microsecond=0)
    for ms in [100.0] * 9:
        buffer.add(make_trace(at=now, duration_ms=ms, name="GET /slow/"))
    buffer.add(make_trace(at=now, duration_ms=1000.0, name="GET /slow/", status="error"))
    for snapshot in buffer.take_all():
        snapshot.save()

    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/performance")
        alerts = page.get_by_test_id("alerts")
        expect(alerts.locator("thead")).to_contain_text("Value that fired")
        latency = alerts.locator("tbody tr", has_text="response_time_ms").filter(
            has_text="GET /slow/"
        )
        expect(latency.locator("td").nth(3)).to_have_text("p95 1.00 s")
        expect(latency.locator("td").nth(4)).to_have_text("500 ms")
        errors = alerts.locator("tbody tr", has_text="error_rate").filter(has_text="GET /slow/")
        expect(errors.locator("td").nth(3)).to_have_text("10 %")
        expect(errors.locator("td").nth(4)).to_have_text("5.0 %")
    assert [p for p in problems if "WebSocket connection to" not in p] == []
