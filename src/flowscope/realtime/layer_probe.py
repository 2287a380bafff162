"""Finding out that the channel layer forgot this process's groups.

A Redis channel layer keeps its groups in Redis. When Redis comes back empty (restarted
without persistence, failed over, flushed) the layer answers again, but every group is
gone: open sockets hear nothing more, and nothing fails to say so. (A layer that fails
outright is handled by each socket's receive, ``consumers.FlowscopeConsumer``.)

So while this process holds sockets, one task on the server's loop sends a message every
``REALTIME_LAYER_CHECK_SECONDS`` to a group of its own and expects it back. When it does
not come back within ANSWER_SECONDS, or the layer failed and now answers again, every
socket of the process joins its groups again and tells its client, which catches up on
what it missed. The cost is one message a check per process; the in-memory layer, which
cannot forget, is never checked.
"""

import asyncio
import logging
import uuid
import weakref

from channels.layers import InMemoryChannelLayer

from flowscope.conf import flowscope_settings

logger = logging.getLogger("flowscope.realtime")
ANSWER_SECONDS = 10


class LayerProbe:
    def __init__(self):
        self._sockets = weakref.WeakSet()  # a socket gone without disconnecting drops out
        self._task = None

    @property
    def running(self):
        task = self._task
        return task is not None and not task.done() and not task.get_loop().is_closed()

    def watch(self, consumer):
        """A socket opened; call from the server's loop."""
        layer = consumer.channel_layer
        if layer is None or isinstance(layer, InMemoryChannelLayer):
            return
        loop = asyncio.get_running_loop()
        if not self.running or self._task.get_loop() is not loop:
            self._stop()
            self._sockets = weakref.WeakSet()
            self._task = loop.create_task(self._run(layer), name="flowscope-layer-probe")
        self._sockets.add(consumer)

    def unwatch(self, consumer):
        self._sockets.discard(consumer)
        if not self._sockets:
            self._stop()

    def _stop(self):
        if self.running:
            self._task.get_loop().call_soon_threadsafe(self._task.cancel)
        self._task = None

    async def _run(self, layer):
        channel = await layer.new_channel("flowscope-probe")
        group = f"flowscope.probe.{uuid.uuid4().hex}"
        joined = failed = False
        number = 0
        while self._sockets:
            await asyncio.sleep(flowscope_settings.REALTIME_LAYER_CHECK_SECONDS)
            number += 1
            try:
                if not joined:
                    await layer.group_add(group, channel)
                    joined = True
                    answered = True  # nothing to check yet: the group is new
                else:
                    answered = await self._answered(layer, group, channel, number)
            except Exception as exc:  # Redis is down: the sockets' receives fail too
                if not failed:
                    logger.warning("flowscope's channel layer fails: %r", exc)
                failed = True
                continue
            if answered and not failed:
                continue
            logger.warning("flowscope's channel layer lost its groups; joining them again")
            joined = failed = False
            await self.resume_all()

    @staticmethod
    async def _answered(layer, group, channel, number):
        await layer.group_send(group, {"type": "flowscope.probe", "number": number})
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                while (await layer.receive(channel)).get("number") != number:
                    pass  # an answer that came too late to an earlier check
        except TimeoutError:
            return False
        return True

    async def resume_all(self):
        for consumer in list(self._sockets):
            await consumer.resume()


layer_probe = LayerProbe()
