"""Flowscope's own health: is its store, cache, channel layer and recorder working?"""

import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from flowscope import diagnostics
from flowscope.api.access import DashboardAPIView

STALE_RECORDER_SECONDS = 60


class ComponentDown(Exception):
    """A component that is down but still has counters to show."""

    def __init__(self, message, details):
        super().__init__(message)
        self.details = details


def _timed(check):
    started = time.perf_counter()
    try:
        details = check() or {}
        status = "up"
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
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no CHANNEL_LAYERS configured")
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


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
    "recorder": check_recorder,
}


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
    },
)


class HealthView(DashboardAPIView):
    """200 when every component is up, 503 when one is down. Anyone may ask; only staff see
    the details."""

    permission_classes = [AllowAny]

    def get_permissions(self):
        return [AllowAny()]

    @extend_schema(responses={200: HEALTH, 503: HEALTH})
    def get(self, request):
        components = {name: _timed(check) for name, check in CHECKS.items()}
        down = [name for name, result in components.items() if result["status"] == "down"]
        body = {"status": "down" if down else "ok"}
        if request.user.is_staff:
            body.update(components=components, down=down)
        return Response(body, status=503 if down else 200)
