"""Installing the hooks, shutting down with the server, sampling the process."""

import asyncio

import pytest
from django.core.cache import caches
from django.db import connection

from flowscope.capture import cache, database
from flowscope.recording import recorder as recorder_module
from flowscope.recording.lifespan import flowscope_lifespan
from flowscope.recording.process_metrics import ProcessSampler
from flowscope.testing import capture_traces
from tests.flowscope.factories import T0


@pytest.mark.django_db
def test_hooks_install_once_and_uninstall_cleanly():
    connection.ensure_connection()
    database.install()
    database.install()
    assert connection.execute_wrappers.count(database.trace_query) == 1
    cache.install()
    cache.install()
    assert caches["default"].get.flowscope_original.__name__ == "get"
    database.uninstall()
    cache.uninstall()
    try:
        assert database.trace_query not in connection.execute_wrappers
        assert "get" not in caches["default"].__dict__
    finally:
        database.install()
        cache.install()
    assert database.trace_query in connection.execute_wrappers


def test_untraced_code_is_not_captured(db):
    with capture_traces() as traces:
        caches["default"].set("k", 1)
        connection.cursor().execute("SELECT 1")
    assert traces == []


def test_lifespan_shutdown_stops_the_recorder(monkeypatch):
    events, stopped = [], []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    class FakeRecorder:
        def shutdown(self):
            stopped.append(True)

    monkeypatch.setattr(recorder_module, "_recorder", FakeRecorder())

    async def receive():
        return next(messages)

    async def send(message):
        events.append(message["type"])

    asyncio.run(flowscope_lifespan({"type": "lifespan"}, receive, send))
    assert events == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert stopped == [True]


def test_process_metrics_are_real_readings():
    rows = {row.metric: row for row in ProcessSampler("host:1").sample(T0, 30)}
    assert set(rows) == {"cpu_percent", "memory_mb", "threads"}
    assert rows["memory_mb"].value > 10
    assert rows["threads"].value >= 1
    assert rows["cpu_percent"].layer == "process"
