"""Flowscope's own health: is its store, cache, channel layer and recorder working?

It answers JSON in every state, the store's outage included: who asks is looked up in the
store (sessions, tokens, users), and a store that cannot be reached makes the asker
anonymous rather than the answer a 500. Anonymous callers learn up or down; staff, and
callers with one of ``HEALTH_KEYS`` (checked in memory, so that a monitor reads the drop
counters during an outage too), see every component. The counters come from memory.
"""

import hmac
import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import DatabaseError, connection
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from flowscope import diagnostics, prerequisites
from flowscope.api.access import DashboardAPIView
from flowscope.api.schema import extend_schema
from flowscope.conf import flowscope_settings

STALE_RECORDER_SECONDS = 60
KEY_HEADER = "X-Flowscope-Health-Key"
STORE_DOWN = (
    "The store cannot be reached, so who you are cannot be checked: during an outage the "
    f"details need one of FLOWSCOPE['HEALTH_KEYS'] in the {KEY_HEADER} header."
)


class ComponentDown(Exception):
    """A component that is down but still has counters to show."""

    def __init__(self, message, details):
        super().__init__(message)
        self.details = details


class ComponentOff(Exception):
    """A component the host left out, which flowscope works without: not down."""

    def __init__(self, missing):
        super().__init__(missing.what)
        self.details = {"detail": missing.what, "fix": missing.fix}


def _timed(check):
    started = time.perf_counter()
    try:
        details = check() or {}
        status = "up"
    except ComponentOff as off:
        details, status = off.details, "off"
    except Exception as exc:  # a down component is an answer here, not an error
        error = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        details, status = {**getattr(exc, "details", {}), **error}, "down"
    return {
        "status": status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 3),
        **details,
    }


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"vendor": connection.vendor}


def check_cache():
    key = f"flowscope:health:{uuid.uuid4().hex}"
    cache.set(key, 1, 10)
    if cache.get(key) != 1:
        raise RuntimeError("a value set was not read back")
    cache.delete(key)


def check_channel_layer():
    """Off without a channel layer (live updates are off, the page polls); down when the
    one configured cannot be made or does not answer."""
    missing = prerequisites.live_updates()
    if missing is not None and not missing.broken:
        raise ComponentOff(missing)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "health.ping"})
    async_to_sync(layer.receive)(channel)
    return {
        "backend": type(layer).__name__,
        "live_events": diagnostics.read("live_events"),
        "system_health": diagnostics.read("system_health"),
    }


def check_recorder():
    """The writer thread, and with the "redis" transport the stream: its length (entries
    not yet written), pending entries, lag and the writers (consumers) reading it."""
    stats = diagnostics.read("recorder")
    if stats["queued"] and not stats["writer_alive"] and stats["queue_depth"]:
        raise RuntimeError("the writer thread is not running")
    if "stream_error" in stats:
        raise ComponentDown(f"the stream cannot be reached: {stats['stream_error']}", stats)
    return stats


def check_alerts():
    """Alerts sent, failed after their retries, dropped by a full queue, waiting."""
    return diagnostics.read("alerts") or {}


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
    "recorder": check_recorder,
    "alerts": check_alerts,
}


def has_health_key(request):
    key = request.headers.get(KEY_HEADER, "")
    return bool(key) and any(
        hmac.compare_digest(key.encode(), known.encode())
        for known in flowscope_settings.HEALTH_KEYS
    )


HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(["ok", "down"]),
        "components": serializers.DictField(
            child=serializers.DictField(), required=False, help_text="Staff only."
        ),
        "down": serializers.ListField(
            child=serializers.CharField(), required=False, help_text="Staff only."
        ),
        "detail": serializers.CharField(
            required=False, help_text="Why no details are shown (the store is unreachable)."
        ),
    },
)


class HealthView(DashboardAPIView):
    """200 when every component is up (or off: left out by the host, and not needed), 503
    when one is down, JSON either way. Anyone may ask; staff and holders of a health key
    see the details."""

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]  # never the browsable API's HTML
    throttle_classes = []

    def get_permissions(self):
        return [AllowAny()]

    def perform_authentication(self, request):
        """Who asks is looked up in the store: when it cannot be reached they are anonymous
        (and the answer says why), rather than the answer a 500 page."""
        try:
            request.user  # noqa: B018 (authenticates)
        except DatabaseError:
            request.store_unreachable = True
            request.user, request.auth = AnonymousUser(), None

    @extend_schema(responses={200: HEALTH, 503: HEALTH})
    def get(self, request):
        components = {name: _timed(check) for name, check in CHECKS.items()}
        down = [name for name, result in components.items() if result["status"] == "down"]
        body = {"status": "down" if down else "ok"}
        if has_health_key(request) or request.user.is_staff:
            body.update(components=components, down=down)
        elif getattr(request, "store_unreachable", False):
            body["detail"] = STORE_DOWN
        return Response(body, status=503 if down else 200)
