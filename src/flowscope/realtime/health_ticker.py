"""``system_health`` messages for the dashboards this process serves.

The store aggregate behind them (``layer_health`` over the last 15 minutes) runs only where
someone watches: one task on the server's event loop, started when the process's first
dashboard socket connects and ended when its last one leaves; the query itself runs in a
thread (``database_sync_to_async``). Every HEALTH_CHECK_SECONDS the health is read; it is
sent when a layer's status changed, else every REALTIME_HEALTH_INTERVAL. A socket gets the
current health in its snapshot on connect, so the first reading is only remembered.

Several processes: each process that holds dashboard sockets runs its own ticker and
sends to its own sockets only (those subscribed to ``system_health``), not through the
channel layer's group: a dashboard hears one reading an interval however many processes
serve dashboards. Processes without sockets (writer processes, management commands) run
none. The cost is one aggregate on the store every HEALTH_CHECK_SECONDS per process that
serves dashboards.
"""

import asyncio
import json
import logging
import time
import weakref
from datetime import timedelta

from channels.db import database_sync_to_async
from django.utils import timezone

from flowscope import diagnostics
from flowscope.analysis.health import layer_health
from flowscope.conf import flowscope_settings
from flowscope.diagnostics import Counters
from flowscope.realtime import messages
from flowscope.realtime.groups import topic_group

logger = logging.getLogger("flowscope.realtime")
HEALTH_CHECK_SECONDS = 2
WINDOW = timedelta(minutes=15)


class HealthTicker:
    def __init__(self):
        # Weak: a socket that vanished without disconnecting (its loop gone) drops out.
        self._watchers = weakref.WeakSet()
        self._task = None
        # Its own counters, apart from the live events': readings sent, failed reads of the
        # store and failed sends, in the health endpoint under "system_health".
        self.counts = Counters("sent", "read_errors", "send_errors")
        self._last = None
        self._next_publish = 0.0

    @property
    def running(self):
        task = self._task
        return task is not None and not task.done() and not task.get_loop().is_closed()

    def watch(self, consumer):
        """A dashboard socket connected; call from the server's loop. A server has one loop;
        should sockets come on another (tests), the ticker moves there with them."""
        loop = asyncio.get_running_loop()
        if not self.running or self._task.get_loop() is not loop:
            self._stop()
            self._watchers = weakref.WeakSet()
            self._last = None
            self._task = loop.create_task(self._run(), name="flowscope-health-ticker")
        self._watchers.add(consumer)

    def unwatch(self, consumer):
        """A socket left (any socket may call it: it does nothing for others)."""
        self._watchers.discard(consumer)
        if not self._watchers:
            self._stop()

    def _stop(self):
        if self.running:
            self._task.get_loop().call_soon_threadsafe(self._task.cancel)
        self._task = None

    async def _run(self):
        while self._watchers:
            try:
                await self.tick()
            except Exception:  # the store is down or busy: try again at the next tick
                self.counts.add(read_errors=1)
                logger.exception("flowscope could not read the system health")
            await asyncio.sleep(HEALTH_CHECK_SECONDS)

    async def tick(self):
        until = timezone.now()
        overall, layers = await database_sync_to_async(layer_health)(until - WINDOW, until)
        statuses = (overall, {name: entry["status"] for name, entry in layers.items()})
        clock = time.monotonic()
        if self._last is None:  # the sockets got this health in their snapshot
            self._last, self._next_publish = statuses, clock + self.interval()
            return
        if statuses != self._last or clock >= self._next_publish:
            self._last, self._next_publish = statuses, clock + self.interval()
            await self.send(json.dumps(messages.system_health(overall, layers), default=str))

    async def send(self, frame):
        """To this process's sockets that subscribe to ``system_health``; a socket that
        fails is counted and skipped."""
        group = topic_group("system_health")
        for consumer in list(self._watchers):
            if group not in consumer.groups_joined:
                continue
            try:
                await consumer.send(text_data=frame)
            except Exception as exc:
                self.counts.add(send_errors=1)
                logger.warning("flowscope could not send the system health: %r", exc)
            else:
                self.counts.add(sent=1)

    @staticmethod
    def interval():
        return flowscope_settings.REALTIME_HEALTH_INTERVAL


health_ticker = HealthTicker()
diagnostics.register("system_health", health_ticker.counts.snapshot)
