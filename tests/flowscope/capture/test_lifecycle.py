"""Installing the collectors, shutting down with the server, sampling the process."""

import asyncio
import importlib
import logging
import sys
from contextlib import contextmanager

import pytest
from celery import signals as celery_signals
from django.apps import apps
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import Client

from flowscope.capture import database, errors, steps
from flowscope.capture.collectors import configured_collectors
from flowscope.conf import DEFAULTS
from flowscope.recording.lifespan import flowscope_lifespan
from flowscope.recording.process_metrics import ProcessSampler
from flowscope.testing import capture_traces, use_recorder
from tests.flowscope.factories import T0

pytestmark = pytest.mark.urls("tests.flowscope.capture.views")


def log_wrappings():
    """How many wrappers ``Logger.callHandlers`` is inside."""
    count, call_handlers = 0, logging.Logger.callHandlers
    while hasattr(call_handlers, "__wrapped__"):
        count, call_handlers = count + 1, call_handlers.__wrapped__
    return count


def hooks_in_place():
    """Which collectors' hooks are in Django and Python right now."""
    return {
        "database": database.trace_query in connection.execute_wrappers,
        "cache": hasattr(caches["default"].get, "flowscope_original"),
        "exceptions": any(
            key[0] == "flowscope.capture.errors"
            for key, *_ in errors.got_request_exception.receivers
        ),
        "log": errors.log_capture.capturing,
        "steps": steps.step.collecting,
        "celery": any(
            key[0] == "flowscope.task_prerun" for key, _ in celery_signals.task_prerun.receivers
        ),
    }


@contextmanager
def started_with(settings, collectors):
    """The app as it starts with ``FLOWSCOPE["COLLECTORS"] = collectors``; then as before."""
    for collector in configured_collectors():
        collector.uninstall()
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "COLLECTORS": collectors}
    try:
        apps.get_app_config("flowscope").ready()
        yield
    finally:
        for collector in configured_collectors():
            collector.uninstall()
        settings.FLOWSCOPE = {**settings.FLOWSCOPE, "COLLECTORS": DEFAULTS["COLLECTORS"]}
        apps.get_app_config("flowscope").ready()


@pytest.mark.django_db
def test_collectors_install_once_and_uninstall_cleanly():
    connection.ensure_connection()
    caches["default"].get("warm")  # a cache object made before the collector is installed
    root_handlers = list(logging.getLogger().handlers)
    collectors = configured_collectors()
    assert len(collectors) == len(DEFAULTS["COLLECTORS"])
    try:
        for collector in collectors:
            collector.uninstall()
            collector.uninstall()
        assert not any(hooks_in_place().values())
        assert "get" not in caches["default"].__dict__
        assert log_wrappings() == 0
    finally:
        for collector in collectors:
            collector.install()
            collector.install()
    assert all(hooks_in_place().values())
    assert connection.execute_wrappers.count(database.trace_query) == 1
    assert log_wrappings() == 1
    assert logging.getLogger().handlers == root_handlers  # log records are taken, not handled
    assert caches["default"].get.flowscope_original.__name__ == "get"


@pytest.mark.django_db
def test_a_collector_left_out_of_the_setting_is_not_installed(settings):
    with started_with(settings, ["flowscope.capture.database.DatabaseCollector"]):
        assert hooks_in_place() == {
            "database": True,
            "cache": False,
            "exceptions": False,
            "log": False,
            "steps": False,
            "celery": False,
        }
        with capture_traces() as traces:
            Client().get("/sync/left-out/")
            Client(raise_request_exception=False).get("/crash/")
            Client().get("/warn/")
        cached, crashed, warned = traces
        assert [span.layer for span in cached.all_spans()] == ["api", "database"]
        assert [span.name for span in crashed.all_spans()] == ["GET /crash/"]
        assert [error.kind for error in crashed.errors] == ["http"]
        assert warned.errors == []
    with capture_traces() as traces:
        Client().get("/sync/all-back/")
    assert [span.layer for span in traces[0].all_spans()] == ["api", "database", "cache", "cache"]


def test_a_collector_that_cannot_be_imported_says_which(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "COLLECTORS": ["flowscope.capture.nope.Nope"]}
    with pytest.raises(ImproperlyConfigured, match=r"'flowscope\.capture\.nope\.Nope'"):
        configured_collectors()
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "COLLECTORS": ["flowscope.capture.steps.step"]}
    with pytest.raises(ImproperlyConfigured, match="not a Collector class"):
        configured_collectors()


def test_a_collector_reports_its_misconfiguration_in_the_system_checks(settings):
    # This module's URLconf has neither flowscope nor the example's workflow routes, which
    # the mount and workflow checks would report as well.
    settings.SILENCED_SYSTEM_CHECKS = ["flowscope.W014", "flowscope.W015"]
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOG_LEVEL": "LOUD"}
    with pytest.raises(SystemCheckError, match=r"flowscope\.W004.*'LOUD'"):
        call_command("check", fail_level="WARNING")
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "COLLECTORS": ["flowscope.capture.database.DatabaseCollector"],
    }
    call_command("check", fail_level="WARNING")  # no log collector: its check is not run


def test_lifespan_starts_and_stops_the_recorder():
    events, calls = [], []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    class FakeRecorder:
        def start(self):
            calls.append("start")

        def shutdown(self):
            calls.append("shutdown")

    async def receive():
        return next(messages)

    async def send(message):
        events.append(message["type"])

    with use_recorder(FakeRecorder()):
        asyncio.run(flowscope_lifespan({"type": "lifespan"}, receive, send))
    assert events == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == ["start", "shutdown"]


def test_process_metrics_are_real_readings():
    rows = {row.metric: row for row in ProcessSampler("host:1").sample(T0, 30)}
    assert set(rows) == {"cpu_percent", "memory_mb", "threads"}
    assert rows["memory_mb"].value > 10
    assert rows["threads"].value >= 1
    assert rows["cpu_percent"].layer == "process"


def test_the_old_lifespan_import_path_still_works_and_says_where_it_went():
    sys.modules.pop("flowscope.capture.lifespan", None)
    with pytest.warns(DeprecationWarning, match="flowscope.recording.lifespan"):
        old = importlib.import_module("flowscope.capture.lifespan")
    assert old.flowscope_lifespan is flowscope_lifespan
