"""The Redis stream of the "redis" transport: what its entries hold, how to reach it, and
what the health endpoint shows of it.

Serving processes append one entry per batch of prepared records (``stream_producer``);
``flowscope_writer`` processes share them through one consumer group (``stream_consumer``).
An entry's one field holds the batch as ``records.codec`` encodes it. A written entry is
acknowledged and deleted, so the stream's length is the backlog: entries no writer has
written yet.
"""

import time

from django.core.exceptions import ImproperlyConfigured

from flowscope.conf import flowscope_settings

FIELD = b"records"
INFO_CACHE_SECONDS = 3.0
# A serving process never waits long for a Redis that is gone: it drops and counts.
PRODUCER_TIMEOUT_SECONDS = 0.5


def configuration_problem():
    """Why the "redis" transport cannot run as configured, or None."""
    if flowscope_settings.TRANSPORT not in {"thread", "redis"}:
        return f'TRANSPORT is {flowscope_settings.TRANSPORT!r}; use "thread" or "redis"'
    if flowscope_settings.TRANSPORT != "redis":
        return None
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis library is not installed (pip install 'flowscope[redis]')"
    if not flowscope_settings.STREAM_URL:
        return "STREAM_URL is not set (a redis:// URL)"
    return None


def connect(timeout):
    """A client of ``STREAM_URL`` that gives up after ``timeout`` seconds and never retries
    by itself (its callers decide when to try again)."""
    problem = configuration_problem()
    if problem:
        raise ImproperlyConfigured(f'FLOWSCOPE["TRANSPORT"] is "redis" but {problem}.')
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        flowscope_settings.STREAM_URL,
        socket_timeout=timeout,
        socket_connect_timeout=min(timeout, 2.0),
        retry=Retry(NoBackoff(), 0),
    )


def delivery_key(entry_id, index):
    """The idempotency key of the ``index``-th record of a stream entry: a redelivered
    entry (a writer died before acknowledging it) is stored once."""
    entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return f"stream:{entry_id}:{index}"


class StreamInfo:
    """Length, pending entries, lag and consumers of the stream, read with XINFO at most
    every ``INFO_CACHE_SECONDS`` (the health endpoint may be polled often)."""

    def __init__(self, client):
        self.client = client
        self._read_at, self._info = float("-inf"), {}

    def snapshot(self):
        clock = time.monotonic()
        if clock - self._read_at >= INFO_CACHE_SECONDS:
            self._read_at = clock
            try:
                self._info = self._read()
            except Exception as exc:  # the health endpoint shows it; nothing breaks
                self._info = {"stream_error": f"{type(exc).__name__}: {exc}"[:300]}
        return self._info

    def _read(self):
        key, group = flowscope_settings.STREAM_KEY, flowscope_settings.STREAM_GROUP
        info = {"stream_key": key, "stream_length": self.client.xlen(key)}
        mine = [g for g in self._groups(key) if _text(g["name"]) == group]
        if not mine:
            return {**info, "stream_pending": 0, "stream_lag": None, "stream_consumers": []}
        consumers = self.client.xinfo_consumers(key, group)
        return {
            **info,
            "stream_pending": mine[0]["pending"],
            "stream_lag": mine[0].get("lag"),
            "stream_consumers": [
                {"name": _text(c["name"]), "pending": c["pending"], "idle_ms": c["idle"]}
                for c in consumers
            ],
        }

    def _groups(self, key):
        import redis

        try:
            return self.client.xinfo_groups(key)
        except redis.ResponseError:  # no stream yet: nothing was sent, no writer started
            return []


def _text(value):
    return value.decode() if isinstance(value, bytes) else value
