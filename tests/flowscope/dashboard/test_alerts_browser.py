"""The alert history in the page: an error never seen before, raised by a real request,
is an alert that reached its webhook, and the page lists it with its delivery."""

import json

import pytest

from flowscope.alerts.courier import courier
from flowscope.alerts.evaluation import evaluate_committed
from tests.browser import browser_page
from tests.flowscope.alerts.receiver import webhook_receiver
from tests.flowscope.dashboard.traffic import call

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
