"""What a replay is given for the values the scrubber masked (a card number, a password)
is sent, and then stored nowhere and never answered: not in the replay's workflow, its
steps or its errors, nor in the replay's answer, its diff or its workflow's."""

import json

import pytest

from flowscope.models import ErrorLog, TraceStep, WorkflowSession
from tests.flowscope.api.test_replay import (
    ALICE_IDENTITY,
    WORKFLOWS,
    declined_checkout,
    replay_diff,
    replayed,
)
from tests.shop_data import ALICE_PASSWORD, DECLINED_CARD


@pytest.fixture(autouse=True)
def _instant_gateway_and_alice(settings):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REPLAY_VALUES": ALICE_IDENTITY}


def stored_of(workflow):
    steps = TraceStep.objects.filter(workflow=workflow).values("name", "metadata")
    errors = ErrorLog.objects.filter(workflow=workflow)
    return json.dumps(
        [
            workflow.metadata,
            list(steps),
            list(errors.values("message", "stack_trace", "request_context")),
        ]
    )


def test_the_values_a_replay_is_given_are_stored_nowhere_and_never_answered(
    live_server, staff_client, real_recorder, novel, alice
):
    declined_checkout(live_server, real_recorder, novel)
    replay = replayed(staff_client, "wf-declined", {"card_number": DECLINED_CARD})
    diff = replay_diff(staff_client, real_recorder, replay)
    new = WorkflowSession.objects.get(correlation_id=replay["correlation_id"])
    trace = staff_client.get(f"{WORKFLOWS}{new.correlation_id}/")
    assert trace.status_code == 200
    answered = json.dumps([replay, diff, trace.json()])
    assert replay["requests"][-1]["status_code"] == 402  # the card was sent: declined
    for secret in (DECLINED_CARD, ALICE_PASSWORD):
        assert secret not in stored_of(new) and secret not in answered
