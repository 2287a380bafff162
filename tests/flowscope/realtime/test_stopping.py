"""A socket ends when its client leaves even if its channel-layer receive swallows the
cancellation that should end it, as redis-py's does now and then on Python 3.11
(``flowscope.realtime.stopping``)."""

import asyncio
import contextlib

import pytest
from channels.layers import InMemoryChannelLayer

from flowscope.realtime.stopping import until_cancelled
from tests.flowscope.realtime.test_consumers import DASHBOARD, run, socket, token_for, until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.flowscope.capture.views"),
]
DEADLINE = 30  # seconds; generous, the machine is shared


async def swallowing_a_cancellation():
    """Waits for ever; the first cancellation is swallowed, as Python 3.11's
    ``asyncio.wait_for`` does when what it waits for finishes at that moment."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()
    await asyncio.Event().wait()


def test_a_receive_that_swallows_its_cancellation_is_cancelled_until_it_ends():
    async def body():
        waiting = asyncio.ensure_future(until_cancelled(swallowing_a_cancellation()))
        await asyncio.sleep(0)
        waiting.cancel()
        done, _ = await asyncio.wait([waiting], timeout=DEADLINE)
        return waiting in done and waiting.cancelled()

    assert run(body)


def test_a_socket_ends_when_its_client_leaves_though_its_receive_swallowed_the_cancel(
    monkeypatch,
):
    async def receive(layer, channel):
        await swallowing_a_cancellation()

    monkeypatch.setattr(InMemoryChannelLayer, "receive", receive)
    token = token_for("ops")

    async def body():
        communicator = socket(DASHBOARD, token)
        connected, _ = await communicator.connect()
        assert connected
        await until(communicator, "dashboard_snapshot")
        await communicator.send_input({"type": "websocket.disconnect", "code": 1001})
        await asyncio.wait([communicator.future], timeout=DEADLINE)
        ended = communicator.future.done()
        await communicator.wait()  # ends it if it did not end by itself
        return ended

    assert run(body), f"the socket's consumer had not ended {DEADLINE} s after its client left"
