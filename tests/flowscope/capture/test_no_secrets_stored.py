"""A whole shop workflow with a real password, token and card number, over real HTTP: no
stored row of flowscope's may contain any of them."""

import pytest
from django.core import serializers

from flowscope.models import ErrorLog, PerformanceSnapshot, TraceStep, WorkflowSession
from shop.simulation.browser import Browser
from tests.shop_data import ALICE_PASSWORD, DECLINED_CARD, VALID_CARD, as_typed, buy

CARDS = [VALID_CARD, as_typed(VALID_CARD), as_typed(VALID_CARD, "-")]


@pytest.fixture
def stored_text(live_server, shop, real_recorder):
    tokens = []
    for index, card in enumerate(CARDS):
        browser = Browser(live_server.url, "checkout", correlation_id=f"wf-secret-{index}")
        assert buy(browser, shop[0], card).status == 201
        tokens.append(browser.token)
    declined = Browser(live_server.url, "checkout", correlation_id="wf-secret-declined")
    buy(declined, shop[1], as_typed(DECLINED_CARD))
    tokens.append(declined.token)
    real_recorder.shutdown(timeout=60)
    rows = [
        obj
        for model in (WorkflowSession, TraceStep, ErrorLog, PerformanceSnapshot)
        for obj in model.objects.all()
    ]
    return serializers.serialize("json", rows), tokens


def test_no_password_card_number_or_token_reaches_the_store(stored_text):
    text, tokens = stored_text
    assert "wf-secret-declined" in text and "payment_gateway.charge" in text  # data is there
    compact = text.replace(" ", "").replace("-", "")
    for secret in [ALICE_PASSWORD, *tokens]:
        assert secret not in text
    for digits in (VALID_CARD, DECLINED_CARD):
        assert digits not in compact


@pytest.mark.usefixtures("stored_text")
def test_what_was_masked_is_visible_as_masked():
    workflow = WorkflowSession.objects.get(correlation_id="wf-secret-0")
    login = workflow.steps.get(name="POST /api/v1/auth/login/")
    assert login.metadata["request_body"] == {"username": "alice", "password": "[Filtered]"}
    pay = workflow.steps.get(name="POST /api/v1/orders/checkout/")
    assert pay.metadata["request_body"]["payment"] == {
        "card_number": "[Filtered]",
        "expiry": "12/39",
        "cvv": "[Filtered]",
    }
    assert pay.metadata["request_headers"]["Authorization"] == "[Filtered]"
