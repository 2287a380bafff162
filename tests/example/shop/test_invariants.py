"""The shop's invariants (settings.SHOP_INVARIANTS) on its simulated customers: each
scenario of the traffic simulator is run once through a live server and the real
recorder; the correct workflows break no rule, and the shop's deliberate bugs break
exactly the rules meant to catch them."""

import random

import pytest
from django.conf import settings
from django.core.management import call_command

from flowscope.models import ErrorLog, InvariantCheck, WorkflowSession
from shop.simulation import scenarios
from shop.simulation.browser import Browser

# scenario -> the rules its workflow breaks (None: it may end unchecked, e.g. still open)
EXPECTED = {
    scenarios.buy: set(),
    scenarios.declined: set(),
    scenarios.out_of_stock: None,
    scenarios.slow_recommendations: set(),
    scenarios.related_products: {"at most 8 queries a request"},  # the N+1
    scenarios.bad_input: set(),
    scenarios.just_login: set(),
}


@pytest.fixture
def shop(real_recorder, settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}
    settings.SHOP_SLOW_ENDPOINT_DELAY_MS = 10
    call_command("seed_demo")


def customer(live_server, workflow_type, number):
    return Browser(
        live_server.url, workflow_type, settings.FLOWSCOPE_INGEST_KEY, f"shopper{number:02d}"
    )


def violated(browser):
    workflow = WorkflowSession.objects.get(correlation_id=browser.correlation_id)
    check = InvariantCheck.objects.filter(workflow=workflow).first()
    return workflow, check, set(check.violated) if check else None


def test_only_the_deliberate_bugs_break_the_shop_invariants(live_server, shop, real_recorder):
    ran = []
    for number, (workflow_type, scenario, _) in enumerate(scenarios.SCENARIOS, start=1):
        for seed in (1, 2):  # bad_input tries a wrong password, then a typed card
            browser = customer(live_server, workflow_type, number)
            scenario(browser, random.Random(seed))
            browser.send_events()
            ran.append((scenario, browser))
    # The buggy shipping estimate: a country it does not know.
    crashed = customer(live_server, "product_fetch", 16)
    scenarios.browse(crashed, random.Random(3))
    crashed.call("GET", "/api/v1/shipping/estimate/?country=JP", complete=True)
    assert real_recorder.flush(30)

    for scenario, browser in ran:
        workflow, check, broken = violated(browser)
        expected = EXPECTED.get(scenario, set())
        if scenario is scenarios.shipping_estimate and workflow.status == "failed":
            expected = {"no 5xx"}  # it picked a country the estimate does not know
        if expected is None and check is None:
            continue
        assert check is not None, (scenario.__name__, workflow.status)
        assert broken == (expected or set()), (scenario.__name__, workflow.status, broken)
    workflow, check, broken = violated(crashed)
    assert workflow.status == "failed" and broken == {"no 5xx"}

    # Each broken rule is one error group, linked to the workflows that broke it.
    groups = ErrorLog.objects.filter(error_type="InvariantViolation")
    by_rule = {}
    for error in groups:
        by_rule.setdefault(error.request_context["invariant"]["rule"], set()).add(error.fingerprint)
    assert set(by_rule) == {"at most 8 queries a request", "no 5xx"}
    assert all(len(fingerprints) == 1 for fingerprints in by_rule.values())
    n_plus_one = groups.filter(message__contains="queries").first()
    assert "observed" in n_plus_one.message and "expected at most 8" in n_plus_one.message
    assert n_plus_one.step.name == "GET /api/v1/products/<int:pk>/related/"
