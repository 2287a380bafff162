"""A database step's details in the page: its parameters beside its SQL (masked ones
marked), and for a SELECT an Explain button that shows the plan, or the API's reason and,
for a masked parameter, a field for its real value."""

import re

import pytest

from flowscope.models import TraceStep
from tests.browser import browser_page
from tests.flowscope.dashboard.traffic import call
from tests.shop_data import ALICE, ALICE_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_parameters_and_the_plan_of_a_select(
    live_server, shop_data, alice, staff_session, real_recorder, playwright_api
):
    answer, _ = call(
        live_server.url,
        "/api/v1/auth/login/",
        "wf-sql",
        {"username": ALICE, "password": ALICE_PASSWORD},
    )
    assert answer == 200
    assert real_recorder.flush(10)
    steps = TraceStep.objects.filter(workflow__correlation_id="wf-sql", layer="database")
    writes = [s.name for s in steps if s.metadata["operation"] != "SELECT"]
    assert writes  # the token made at the first sign-in, or the time of the last login
    expect = playwright_api.expect
    with browser_page(playwright_api) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": live_server.url}])
        page.goto(f"{live_server.url}/debugging/#/workflows/wf-sql")
        rows = page.locator('[data-testid="waterfall-row"][data-layer="database"]')
        details = page.get_by_test_id("step-details")

        rows.filter(has_text=re.compile(r'[`"]username[`"] = \?')).first.click()
        expect(details.get_by_test_id("sql-params")).to_contain_text('"alice"')
        details.get_by_test_id("explain-button").click()
        expect(details.get_by_test_id("explain-plan")).to_contain_text("auth_user")

        # A token's table: its value is masked, and EXPLAIN says it needs the real one.
        rows.filter(has_text="SELECT").filter(has_text="authtoken_token").first.click()
        expect(details.get_by_test_id("sql-params")).to_contain_text('"[Filtered]"')
        expect(details.get_by_test_id("sql-params")).to_contain_text("not stored as sent")
        details.get_by_test_id("explain-button").click()
        expect(details.get_by_test_id("explain-error")).to_contain_text(
            "EXPLAIN needs the real value of parameter 1"
        )
        details.get_by_label("Parameter 1").fill(str(alice.pk))
        details.get_by_role("button", name="Explain with these values").click()
        expect(details.get_by_test_id("explain-plan")).to_contain_text("authtoken_token")

        rows.filter(has_text=writes[0][:30]).first.click()
        expect(details).to_contain_text(writes[0][:30])
        expect(details.get_by_test_id("explain-button")).to_have_count(0)
    expected = ("WebSocket connection to", "status of 400")  # the refusal shown above
    assert [p for p in problems if not any(e in p for e in expected)] == []
