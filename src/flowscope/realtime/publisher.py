"""Live events: the recorder calls ``publish_committed`` after each committed batch (a sink
of the recorder, added by the app's ``ready()``), and the publisher sends one channel-layer
message per group per batch, from the recorder's thread: to the dashboard's topics, and to
the groups of the workflows a socket is watching (``watching``).

The message is sent on the ASGI server's own event loop when this process serves
WebSockets (the in-memory layer only works there, and Redis connections live there too);
a process without sockets sends through Redis on a loop of its own, and has nobody to tell
with the in-memory layer. A failing layer is counted and logged, never raised into the
recorder. Messages are numbered per group and sent one after another, in order: a socket
whose channel was full finds the gap (``sequence``). (``system_health`` is sent by
``health_ticker``.)
"""

import asyncio
import json
import logging
import threading
import weakref
from collections import defaultdict

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer, get_channel_layer

from flowscope import diagnostics
from flowscope.diagnostics import Counters
from flowscope.models import WorkflowSession
from flowscope.realtime import messages, watching
from flowscope.realtime.groups import topic_group, workflow_group
from flowscope.realtime.sequence import Numbering

logger = logging.getLogger("flowscope.realtime")
COUNTERS = ("published", "overflow", "failed", "group_errors", "layer_errors", "missed")


class Publisher:
    def __init__(self):
        self.loop = None
        self._own = self._thread = None
        self.counts = Counters(*COUNTERS)
        self._lock = threading.Lock()  # guards the loop of our own
        self.numbering = Numbering()
        self._in_order = weakref.WeakKeyDictionary()  # event loop -> its lock for sends

    def attach(self, loop):
        """Called by consumers: the loop of the server that holds this process's sockets."""
        self.loop = loop

    def count(self, name, number=1):
        self.counts.add(**{name: number})

    def snapshot(self):
        """Counters for the health endpoint: live events published, lost to a full channel
        or a failing layer, group joins or leaves that failed, sockets' receives that the
        layer failed (each socket waits for the layer and joins its groups again), and
        messages that sockets found missing (their channel was full; each told its client
        to catch up)."""
        return self.counts.snapshot()

    @staticmethod
    def message(events):
        # Serialized here, once, rather than by each of the clients it reaches.
        frames = [json.dumps(event, default=str) for event in events]
        return {"type": "flowscope.events", "frames": frames}

    def send(self, group, events):
        """From any thread: on the server's loop, else on a loop of our own (Redis)."""
        if events:
            self.deliver(group, {**self.message(events), **self.numbering.stamp(group)})

    def deliver(self, group, message):
        """One channel-layer message to ``group``, from any thread, never waited for."""
        layer = get_channel_layer()
        if layer is None:
            return
        loop = self.loop if self.loop is not None and self.loop.is_running() else None
        if loop is None and not isinstance(layer, InMemoryChannelLayer):
            loop = self._own_loop()  # no sockets here: through Redis, on a loop of our own
        if loop is not None:
            sending = self._send_in_order(loop, layer, group, message)
            future = asyncio.run_coroutine_threadsafe(sending, loop)
            future.add_done_callback(self._sent)

    async def _send_in_order(self, loop, layer, group, message):
        # One send at a time, in the order given: channels-redis sends concurrent messages
        # over several connections, and a later one could overtake an earlier one.
        if loop not in self._in_order:
            self._in_order[loop] = asyncio.Lock()
        async with self._in_order[loop]:
            await layer.group_send(group, message)

    def _own_loop(self):
        """One long-lived loop in a thread, so that Redis connections are kept and reused
        (``async_to_sync`` per message opened a new connection each time)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():  # first use, or forked
                self._own = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._own.run_forever, daemon=True, name="flowscope-publisher"
                )
                self._thread.start()
            return self._own

    def _sent(self, future):
        exc = future.exception()
        if exc is None:
            self.count("published")
        else:
            self._failed(exc)

    def _failed(self, exc):
        self.count("overflow" if isinstance(exc, ChannelFull) else "failed")
        logger.warning("flowscope could not publish a live event: %r", exc)

    # --- what to publish ----------------------------------------------------------------

    def publish_batch(self, batch):
        by_group = defaultdict(list)
        cids = {w.pk: w.correlation_id for w in [*batch.workflows, *batch.timed_out]}
        # A workflow's own events only where a socket watches it (None: maybe all are).
        watched = watching.watched(list(cids.values()))
        live = {pk: cid for pk, cid in cids.items() if watched is None or cid in watched}
        for step in batch.steps_of(live):
            cid = live[step.workflow_id]
            by_group[workflow_group(cid)].append(messages.trace_step(step, cid))
        for error in batch.errors:
            note = messages.error_notification(error, cids.get(error.workflow_id))
            by_group[topic_group("errors")].append(note)
            if error.workflow_id in live:
                by_group[workflow_group(live[error.workflow_id])].append(note)
        serialized = messages.serialized_workflows([*batch.workflows, *batch.timed_out])
        for workflow in batch.workflows:
            previous = batch.previous_status.get(workflow.correlation_id, workflow.status)
            self._workflow_events(by_group, workflow, previous, serialized, live)
        for workflow in batch.timed_out:
            self._workflow_events(by_group, workflow, "in_progress", serialized, live)
        by_group[topic_group("performance")] += [
            messages.performance_alert(s) for s in batch.snapshots if s.is_alert
        ]
        for group, events in by_group.items():
            self.send(group, events)

    @staticmethod
    def _workflow_events(by_group, workflow, previous, serialized, live):
        data = serialized[workflow.pk]
        update = messages.workflow_update(workflow, previous, data)
        by_group[topic_group("workflows")].append(update)
        if previous == workflow.status or workflow.pk not in live:
            return
        group = by_group[workflow_group(workflow.correlation_id)]
        group.append(messages.workflow_status(workflow, data))
        if workflow.status in WorkflowSession.ENDED:
            group.append(messages.workflow_completed(workflow))

    def has_listeners(self):
        layer = get_channel_layer()
        return layer is not None and (
            self.loop is not None or not isinstance(layer, InMemoryChannelLayer)
        )


publisher = Publisher()
diagnostics.register("live_events", publisher.snapshot)


def publish_committed(batch):
    """The recorder's sink for live events."""
    if publisher.has_listeners():
        publisher.publish_batch(batch)
