"""The WebSockets: the whole system live, and one workflow's trace live.

Close codes: 4400 a bad correlation ID, 4401 not signed in (or no longer: logged out, token
deleted, user inactive), 4403 not allowed; 4503 live updates are off on this server (no
channel layer: the reason says so), for the client to poll instead and not reconnect; 1011
the socket could not be set up (its store or channel layer failed), for the client to
connect again later.
"""

import asyncio
import json
import logging
import time
import weakref

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from flowscope import prerequisites
from flowscope.analysis import workflows
from flowscope.analysis.snapshot import dashboard_snapshot
from flowscope.conf import flowscope_settings
from flowscope.realtime import auth, messages, revocation, watching
from flowscope.realtime.groups import TOPICS, topic_group, workflow_group
from flowscope.realtime.health_ticker import health_ticker
from flowscope.realtime.layer_probe import layer_probe
from flowscope.realtime.publisher import publisher
from flowscope.realtime.sequence import GapFinder
from flowscope.records.correlation import CORRELATION_ID

MAX_MESSAGE_BYTES = 4096
LIVE_UPDATES_OFF = 4503
MAX_CLOSE_REASON_BYTES = 123  # what a close frame holds
# Channels forgets group members after a day (group_expiry); rejoin well before that.
GROUP_REFRESH_SECONDS = 3600
# Sockets joining or leaving their groups at once (a deploy, a network blip) take turns:
# channels-redis's connection pool refuses commands past its size (100 by default).
GROUP_OPERATIONS_AT_ONCE = 20
# A socket whose channel layer fails tries it again this long after, doubling up to the most.
LAYER_RETRY_SECONDS = (0.5, 10)
LOG_EVERY_SECONDS = 10  # hundreds of sockets see one outage: log it once in a while
_group_slots = weakref.WeakKeyDictionary()  # event loop -> its semaphore
_last_logged = {"layer": 0.0}
logger = logging.getLogger("flowscope.realtime")


def group_operation_slot():
    loop = asyncio.get_running_loop()
    if loop not in _group_slots:
        _group_slots[loop] = asyncio.Semaphore(GROUP_OPERATIONS_AT_ONCE)
    return _group_slots[loop]


def log_layer_failure(exc):
    now = time.monotonic()
    if now - _last_logged["layer"] >= LOG_EVERY_SECONDS:
        _last_logged["layer"] = now
        logger.warning("flowscope's live sockets lost the channel layer: %r", exc)


def live_updates_off_reason():
    missing = prerequisites.live_updates()
    reason = missing.what if missing else "no channel layer"
    return reason.encode()[:MAX_CLOSE_REASON_BYTES].decode(errors="ignore")


class FlowscopeConsumer(AsyncWebsocketConsumer):
    """Shared by both sockets: who may connect, staying allowed, staying in groups."""

    groups_joined = ()
    released = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gaps = GapFinder()

    async def __call__(self, scope, receive, send):
        """Channels calls ``disconnect`` only when it handles ``websocket.disconnect``. A
        socket can end without that message: a client that leaves while the socket is set
        up (or while an event goes out) makes the next send fail in the server (uvicorn
        raises ``ClientDisconnected``), and that error ends the consumer before it reads
        the disconnect. What the socket holds is let go of however it ends, or its checks
        would run forever, its groups keep it for a day and the process's health ticker
        and layer probe never stop."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.release()

    async def connect(self):
        await self.accept()  # accept first: a close code only reaches an accepted socket
        allowed, code = await auth.still_allowed(self.scope)
        if not allowed:
            await self.close(code=code)
            return
        if self.channel_layer is None:  # nothing would ever reach the socket
            await self.close(code=LIVE_UPDATES_OFF, reason=live_updates_off_reason())
            return
        publisher.attach(asyncio.get_running_loop())
        self.housekeeping = asyncio.ensure_future(self.keep_alive())
        layer_probe.watch(self)
        try:
            await self.join(revocation.groups_of(self.scope))
            await self.start()
        except Exception as exc:
            logger.warning("flowscope could not set up a live socket: %r", exc)
            await self.close(code=1011)

    async def disconnect(self, code):
        await self.release()

    async def release(self):
        """Stop watching and checking the socket and leave its groups; once."""
        if self.released:
            return
        self.released = True
        health_ticker.unwatch(self)
        layer_probe.unwatch(self)
        task = getattr(self, "housekeeping", None)
        if task:
            task.cancel()
        try:
            await self.leave(tuple(self.groups_joined))
        except Exception as exc:  # the socket is gone either way; the layer expires members
            publisher.count("group_errors")
            logger.warning("flowscope could not leave its live groups: %r", exc)

    async def join(self, groups):
        self.groups_joined = {*self.groups_joined, *groups}
        async with group_operation_slot():
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self, groups):
        self.groups_joined = set(self.groups_joined) - set(groups)
        self.gaps.forget(groups)
        async with group_operation_slot():
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def keep_alive(self):
        """Check the user every REALTIME_AUTH_RECHECK_SECONDS; rejoin groups hourly. A
        check that fails (the store or the cache is down) is tried again at the next."""
        last_join = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(flowscope_settings.REALTIME_AUTH_RECHECK_SECONDS)
            try:
                allowed, code = await auth.still_allowed(self.scope)
                if not allowed:
                    await self.close(code=code)
                    return
                await self.renew()
                if asyncio.get_running_loop().time() - last_join > GROUP_REFRESH_SECONDS:
                    await self.join(tuple(self.groups_joined))
                    last_join = asyncio.get_running_loop().time()
            except Exception as exc:
                logger.warning("flowscope could not check a live socket: %r", exc)

    async def renew(self):
        """What a socket keeps up while it stays open, besides its groups."""

    # Channels sets ``channel_receive`` to the layer's receive in ``__call__``: kept here,
    # and answered with one that outlives the layer's outages. Channels would otherwise
    # end the consumer on the layer's first error, and the server drop the connection
    # without a close frame.
    @property
    def channel_receive(self):
        return self.receive_through_outages

    @channel_receive.setter
    def channel_receive(self, receive):
        self._layer_receive = receive

    async def receive_through_outages(self):
        """The next channel-layer message; when the layer fails, wait until it answers
        again (backing off), then join the groups again and let the client catch up."""
        delay, most = LAYER_RETRY_SECONDS
        while True:
            try:
                return await self._layer_receive()
            except Exception as exc:
                publisher.count("layer_errors")
                log_layer_failure(exc)
            while True:  # a layer that keeps failing is tried less and less often
                await asyncio.sleep(delay)
                delay = min(delay * 2, most)
                if await self.resume():
                    break

    async def resume(self):
        """Join the groups again (the layer may have lost them) and tell the client, which
        then catches up on what it missed. False when the layer still fails."""
        try:
            await self.join(tuple(self.groups_joined))
            await self.renew()
        except Exception as exc:
            log_layer_failure(exc)
            return False
        self.gaps.forget(self.groups_joined)  # the gap is the outage, caught up on now
        # No server_time: the client's catch-up starts from its last event, before the gap.
        await self.send_json({"type": "live_resumed"})
        return True

    async def send_json(self, content):
        await self.send(text_data=json.dumps(content, default=str))

    async def dispatch(self, message):
        # Channels closes stale database connections before every handler, in a worker
        # thread: per client and per event, the bulk of a fan-out's cost. Live events
        # touch no database, so they skip it; every other message keeps it.
        if message.get("type") == "flowscope.events":
            await self.flowscope_events(message)
        else:
            await super().dispatch(message)

    async def flowscope_events(self, event):
        """Frames the publisher serialized once for every client. Messages that never
        arrived (this socket's channel was full) are counted, and the client told to catch
        up first: it catches up from its last event, so before these frames."""
        missed = self.gaps.missed(event)
        if missed:
            publisher.count("missed", missed)
            await self.send_json({"type": "live_resumed", "missed": missed})
        for frame in event["frames"]:
            await self.send(text_data=frame)

    async def flowscope_revoked(self, event):
        """The session logged out or the token was deleted (``revocation``)."""
        await self.close(code=4401)

    async def flowscope_recheck(self, event):
        """The user was saved: a password change, deactivation or lost staff status ends
        the socket now rather than at the next periodic check (``revocation``)."""
        allowed, code = await auth.still_allowed(self.scope)
        if not allowed:
            await self.close(code=code)


class DashboardConsumer(FlowscopeConsumer):
    """``ws/debugging/dashboard/``: topics ``workflows``, ``errors``, ``performance``,
    ``system_health``; all subscribed at first."""

    async def start(self):
        health_ticker.watch(self)
        await self.join([topic_group(topic) for topic in TOPICS])
        await self.send_json(
            {
                "type": "connection_established",
                "subscriptions": list(TOPICS),
                "server_time": messages.server_time(),
            }
        )
        await self.send_json(messages.dashboard_snapshot(await self.snapshot()))

    @database_sync_to_async
    def snapshot(self):
        return dashboard_snapshot(self.scope["user"], reuse=True)

    async def receive(self, text_data=None, bytes_data=None):
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw.encode()) > MAX_MESSAGE_BYTES:
            return await self.error(f"Message over {MAX_MESSAGE_BYTES} bytes.")
        try:
            message = json.loads(raw)
        except ValueError:
            return await self.error("Not JSON.")
        if not isinstance(message, dict):
            return await self.error("A message is a JSON object with a type.")
        handler = {
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "ping": self.ping,
        }.get(message.get("type"))
        if handler is None:
            return await self.error(f"Unknown message type {message.get('type')!r}.")
        await handler(message)

    async def error(self, text):
        await self.send_json({"type": "error", "error": text})

    def topics_of(self, message):
        topics = message.get("topics")
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            return None, '"topics" must be a list of topic names.'
        unknown = sorted(set(topics) - set(TOPICS))
        if unknown:
            return None, f"Unknown topic(s) {', '.join(unknown)}; use {', '.join(TOPICS)}."
        return topics, None

    async def subscribe(self, message):
        topics, problem = self.topics_of(message)
        if problem:
            return await self.error(problem)
        await self.join([topic_group(topic) for topic in topics])
        await self.send_json({"type": "subscribed", "topics": topics})

    async def unsubscribe(self, message):
        topics, problem = self.topics_of(message)
        if problem:
            return await self.error(problem)
        await self.leave([topic_group(topic) for topic in topics])
        await self.send_json({"type": "unsubscribed", "topics": topics})

    async def ping(self, message):
        await self.send_json(
            {
                "type": "pong",
                "timestamp": message.get("timestamp"),
                "server_time": messages.server_time(),
            }
        )


class WorkflowTraceConsumer(FlowscopeConsumer):
    """``ws/debugging/workflow/<correlation_id>/``: the trace so far, then every new step,
    status change, error, and the end. A workflow that has not started yet is "pending"."""

    async def connect(self):
        self.correlation_id = self.scope["url_route"]["kwargs"]["correlation_id"]
        if not CORRELATION_ID.fullmatch(self.correlation_id):
            await self.accept()
            await self.close(code=4400)
            return
        await super().connect()

    async def start(self):
        await watching.watch(self.correlation_id)  # before the trace so far is read
        await self.join([workflow_group(self.correlation_id)])
        await self.send_json(await self.trace())

    async def renew(self):
        await watching.watch(self.correlation_id)

    @database_sync_to_async
    def trace(self):
        workflow = workflows.find(self.correlation_id)
        steps = workflows.steps_of(workflow) if workflow else None
        return messages.workflow_trace(self.correlation_id, workflow, steps)
