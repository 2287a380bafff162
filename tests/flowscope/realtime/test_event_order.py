"""Live events reach many sockets in the order they were published, and a socket whose
channel filled up (a slow client) says so instead of silently missing events. Run with the
configured channel layer: in-memory by default, Redis when REDIS_URL is set."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from flowscope.realtime.consumers import FlowscopeConsumer
from flowscope.realtime.publisher import publisher
from flowscope.recording import writer
from tests.flowscope.factories import make_trace
from tests.flowscope.realtime.test_consumers import DASHBOARD, receive, run, socket, token_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.flowscope.capture.views"),
]
CLIENTS = 30
BATCHES = 12


async def connected(token):
    communicator = socket(DASHBOARD, token)
    assert (await communicator.connect())[0]
    while (await receive(communicator, 30))["type"] != "dashboard_snapshot":
        pass
    return communicator


async def publish(name):
    """One committed batch holding one new workflow, published as the recorder does."""
    batch = await sync_to_async(writer.write)([make_trace(name)])
    await sync_to_async(publisher.publish_batch)(batch)


async def heard(communicator, last):
    """Workflow names and catch-up notices a socket receives, up to workflow ``last``."""
    seen = []
    while not seen or seen[-1] != last:
        message = await receive(communicator, 30)
        if message["type"] == "workflow_update":
            seen.append(message["workflow"]["correlation_id"])
        elif message["type"] == "live_resumed":
            seen.append(("missed", message["missed"]))
    return seen


def names(count):
    return [f"wf-{n:03}" for n in range(count)]


def test_many_sockets_hear_every_batch_in_the_order_it_was_published():
    token = token_for("ops")

    async def body():
        sockets = [await connected(token) for _ in range(CLIENTS)]
        for name in names(BATCHES):
            await publish(name)
        for communicator in sockets:
            assert await heard(communicator, names(BATCHES)[-1]) == names(BATCHES)
            await communicator.disconnect()

    missed_before = publisher.snapshot()["missed"]
    run(body)
    assert publisher.snapshot()["missed"] == missed_before


def test_a_socket_whose_channel_filled_up_counts_the_gap_and_is_told_to_catch_up(
    settings, monkeypatch
):
    layer = settings.CHANNEL_LAYERS["default"]
    config = {**layer.get("CONFIG", {}), "capacity": 3}
    settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": config}}
    slow_token, fast_token = token_for("slow"), token_for("fast")
    release = None
    deliver = FlowscopeConsumer.flowscope_events

    async def stuck_until_released(consumer, event):  # a client that stopped reading
        if consumer.scope["user"].username == "slow":
            await release.wait()
        await deliver(consumer, event)

    monkeypatch.setattr(FlowscopeConsumer, "flowscope_events", stuck_until_released)
    missed_before = publisher.snapshot()["missed"]

    async def body():
        nonlocal release
        release = asyncio.Event()
        slow, fast = await connected(slow_token), await connected(fast_token)
        for name in names(BATCHES - 1):
            await publish(name)
        # The fast socket has everything: the slow one's channel is as full as it gets.
        assert await heard(fast, names(BATCHES - 1)[-1]) == names(BATCHES - 1)
        release.set()
        await publish(names(BATCHES)[-1])  # an in-memory layer's gap shows at the next one
        result = await heard(slow, names(BATCHES)[-1]), await heard(fast, names(BATCHES)[-1])
        await slow.disconnect()
        await fast.disconnect()
        return result

    slow_heard, fast_heard = run(body)
    assert fast_heard == names(BATCHES)[-1:]
    workflows = [entry for entry in slow_heard if isinstance(entry, str)]
    notices = [entry[1] for entry in slow_heard if isinstance(entry, tuple)]
    assert notices, "the slow socket was never told it missed events"
    assert workflows == sorted(workflows) and workflows[-1] == names(BATCHES)[-1]
    assert len(workflows) + sum(notices) == BATCHES  # each batch heard or counted missing
    for index, entry in enumerate(slow_heard):  # a notice comes before what follows a gap
        if isinstance(entry, tuple):
            after, before = slow_heard[index + 1], slow_heard[index - 1]
            assert names(BATCHES).index(after) - names(BATCHES).index(before) == entry[1] + 1
    assert publisher.snapshot()["missed"] == missed_before + sum(notices)
