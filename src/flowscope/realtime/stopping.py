"""Ending a channel-layer receive for sure when its socket ends.

On Python 3.11, ``asyncio.wait_for`` swallows a cancellation that arrives just as what it
waits for finishes (CPython gh-86296, fixed in 3.12). redis-py waits for its socket writes
that way when the layer has a ``socket_timeout``, so a socket's receive on channels-redis,
cancelled as its socket ends, now and then carries on: it blocks in Redis again and again
and never returns. Channels waits for that receive before the socket's consumer ends, so
the consumer never ends, the server's shutdown waits for it, and the layer, its receive
still counted, refuses every other event loop ("Two event loops are trying to receive()").
Cancelling it again ends it.
"""

import asyncio

CANCEL_AGAIN_SECONDS = 1


async def until_cancelled(awaitable):
    """Await ``awaitable`` in a task of its own; when this is cancelled, cancel that task
    until it has ended (at most one CANCEL_AGAIN_SECONDS a try), then raise."""
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=CANCEL_AGAIN_SECONDS)
        if not task.cancelled():
            task.exception()  # retrieved: what it ended with no longer matters
        raise
