"""Both sockets refuse all but staff, a deactivated staff user's token included, and what
a client sends cannot pose as the server's own messages (a revocation, events) or join a
group other than the dashboard's topics."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from tests.flowscope.realtime.test_consumers import (
    DASHBOARD,
    closed_with,
    receive,
    run,
    socket,
    token_for,
    until,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.flowscope.capture.views"),
]
WORKFLOW = "/ws/debugging/workflow/wf-1/"


def deactivated_staff_token():
    user = get_user_model().objects.create_user("gone", password="pw", is_staff=True)
    key = Token.objects.create(user=user).key
    user.is_active = False
    user.save()
    return key


@pytest.mark.parametrize("path", [DASHBOARD, WORKFLOW])
def test_only_active_staff_may_watch(path):
    tokens = {
        None: 4401,
        deactivated_staff_token(): 4401,
        token_for("customer", is_staff=False): 4403,
    }

    async def body():
        return [await closed_with(socket(path, token)) for token in tokens]

    assert run(body) == list(tokens.values())


@pytest.mark.parametrize(
    "message, error",
    [
        ({"type": "flowscope.revoked"}, "Unknown message type 'flowscope.revoked'."),
        ({"type": "flowscope.events", "frames": ['{"type": "forged"}']}, "Unknown message type"),
        ({"type": "websocket.disconnect", "code": 1000}, "Unknown message type"),
        ({"type": "subscribe", "topics": ["workflow.0123"]}, "Unknown topic(s) workflow.0123"),
        ({"type": "subscribe", "topics": ["flowscope.errors"]}, "Unknown topic(s)"),
    ],
)
def test_a_client_cannot_pose_as_the_server_or_join_another_group(message, error):
    token = token_for("ops")

    async def body():
        communicator = socket(DASHBOARD, token)
        await communicator.connect()
        await until(communicator, "dashboard_snapshot")
        await communicator.send_json_to(message)
        answer = await receive(communicator)
        assert (answer["type"], answer["error"][: len(error)]) == ("error", error)
        await communicator.send_json_to({"type": "ping", "timestamp": 7})
        assert (await receive(communicator))["type"] == "pong"  # still open, still staff's
        await communicator.disconnect()

    run(body)


def test_the_workflow_socket_ignores_what_clients_send():
    token = token_for("ops")

    async def body():
        communicator = socket(WORKFLOW, token)
        await communicator.connect()
        assert (await receive(communicator))["type"] == "workflow_trace"
        await communicator.send_json_to({"type": "flowscope.revoked"})
        await communicator.send_json_to({"type": "flowscope.events", "frames": ["forged"]})
        assert await communicator.receive_nothing(1)
        await communicator.disconnect()

    run(body)
