"""The storefront's browser events carry the release that served the page (the SDK's
``data-release``), so a workflow the page starts is tagged like its requests."""

import json

import pytest

from flowscope.models import WorkflowSession
from tests.browser import browser_page
from tests.shop_data import make_catalogue
from tests.storefront import sign_in


@pytest.fixture
def catalogue(transactional_db, alice):
    return make_catalogue(novels=2)


def test_the_pages_events_carry_the_release_that_served_it(
    live_server, catalogue, real_recorder, playwright_api, settings
):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "RELEASE": "2026.12.1"}
    sent = []

    def ingest(route):
        sent.extend(json.loads(route.request.post_data)["events"])
        route.continue_()

    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.route("**/api/v1/debugging/ingest/", ingest)
        sign_in(page, live_server.url, expect, products=3)
        page.evaluate("Flowscope.flush()")
        page_id = page.evaluate("Flowscope.pageCorrelationId")
    assert problems == []
    assert sent and {event.get("release") for event in sent} == {"2026.12.1"}
    assert real_recorder.flush(10)
    assert WorkflowSession.objects.get(correlation_id=page_id).release == "2026.12.1"
