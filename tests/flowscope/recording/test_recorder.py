"""The recorder never blocks or breaks a request, whatever the store does."""

import os
import threading

import pytest
from django.db import OperationalError
from django.test import Client

from flowscope.models import PerformanceSnapshot, TraceStep, WorkflowSession
from flowscope.recording import recorder as recorder_module
from flowscope.recording import writer
from flowscope.signals import batch_committed
from tests.flowscope.factories import make_trace

pytestmark = pytest.mark.urls("tests.flowscope.capture.views")


@pytest.fixture
def blocked_writer(monkeypatch):
    """The writer holds its first batch until ``release`` is set."""
    release, started = threading.Event(), threading.Event()
    real_write = writer.write

    def write(items):
        started.set()
        assert release.wait(10)
        return real_write(items)

    monkeypatch.setattr(writer, "write", write)
    yield started, release
    release.set()


def test_a_full_queue_drops_and_counts_without_blocking_requests(
    settings, blocked_writer, transactional_db
):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "QUEUE_SIZE": 2}
    started, release = blocked_writer
    recorder = recorder_module.Recorder()
    recorder_module._recorder, previous = recorder, recorder_module._recorder
    try:
        client = Client()
        client.get("/sync/first/")
        assert started.wait(5)  # the writer is now stuck on the first request
        answers = [client.get(f"/sync/r{i}/").status_code for i in range(5)]
        assert answers == [200] * 5
        stats = recorder.snapshot()
        assert (stats["queued"], stats["dropped"], stats["queue_depth"]) == (3, 3, 2)
    finally:
        release.set()
        recorder.flush(10)
        recorder.shutdown()
        recorder_module._recorder = previous
    assert recorder.snapshot()["written"] == 3


def test_shutdown_writes_what_is_queued_and_the_open_rollups(real_recorder):
    for index in range(5):
        Client().get(f"/sync/s{index}/")
    real_recorder.shutdown()
    assert WorkflowSession.objects.count() == 5
    assert TraceStep.objects.filter(layer="cache").count() == 10
    assert PerformanceSnapshot.objects.filter(
        metric="throughput_rpm", component="*", source=real_recorder.source
    ).exists()


def test_a_failing_store_is_retried_then_dropped_while_the_app_keeps_serving(
    real_recorder, monkeypatch
):
    monkeypatch.setattr(recorder_module, "BACKOFF_SECONDS", 0.001)
    real_write, calls = writer.write, []

    def flaky(items):
        calls.append(len(items))
        if len(calls) <= 4:  # the first batch fails on every attempt (1 + 3 retries)
            raise OperationalError("database is locked")
        return real_write(items)

    monkeypatch.setattr(writer, "write", flaky)
    assert Client().get("/sync/lost/").status_code == 200
    real_recorder.flush(10)
    stats = real_recorder.snapshot()
    assert (stats["failed_batches"], stats["retries"], stats["dropped"]) == (1, 3, 1)
    assert Client().get("/sync/kept/").status_code == 200
    real_recorder.flush(10)
    assert list(WorkflowSession.objects.values_list("metadata__entry_point", flat=True)) == [
        "GET /sync/<str:tag>/"
    ]
    assert real_recorder.snapshot()["written"] == 1


def test_a_forked_child_starts_afresh_and_never_writes_its_parents_queue(
    real_recorder, blocked_writer
):
    started, release = blocked_writer
    real_recorder.submit(make_trace("in-flight"))
    assert started.wait(5)  # the writer holds that one; the next two wait in the queue
    real_recorder.submit(make_trace("queued-1"))
    real_recorder.submit(make_trace("queued-2"))
    pid = os.fork()
    if pid == 0:  # the child: check, then leave without running any test machinery
        os._exit(child_writes_only_its_own(real_recorder))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    release.set()
    assert real_recorder.flush(10)
    assert real_recorder.snapshot()["written"] == 3
    assert WorkflowSession.objects.count() == 3


def child_writes_only_its_own(recorder):
    written = []

    def write(items):
        written.extend(trace.correlation_id for trace in items)
        return writer.CommittedBatch()

    try:
        writer.write = write
        inherited = recorder.queue.qsize()
        recorder.submit(make_trace("child"))
        recorder.flush(5)
        return 0 if (inherited, written) == (2, ["child"]) else 1
    except BaseException:
        return 2


def test_receivers_hear_of_each_batch_after_it_commits(real_recorder, monkeypatch):
    heard = []

    def receiver(sender, batch, **kwargs):
        # Runs after the commit: the rows are there for anyone who reads them.
        heard.append(
            (batch, WorkflowSession.objects.filter(pk__in=[w.pk for w in batch.workflows]).count())
        )

    monkeypatch.setattr(recorder_module, "BACKOFF_SECONDS", 0.001)
    batch_committed.connect(receiver)
    try:
        Client().get("/sync/heard/", HTTP_X_CORRELATION_ID="wf-heard")
        real_recorder.flush(10)
        monkeypatch.setattr(writer, "write", lambda items: 1 / 0)
        Client().get("/sync/lost/")
        real_recorder.flush(10)
    finally:
        batch_committed.disconnect(receiver)
    assert len(heard) == 1
    batch, visible = heard[0]
    assert [w.correlation_id for w in batch.workflows] == ["wf-heard"]
    assert [s.layer for s in batch.steps] == ["api", "database", "cache", "cache"]
    assert visible == 1


def test_an_idle_writer_writes_at_once_and_a_busy_one_batches(real_recorder, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "FLUSH_INTERVAL": 6.0}
    sizes = []

    def receiver(sender, batch, **kwargs):
        if batch.workflows:  # rollup windows closing are committed batches of their own
            sizes.append(len(batch.workflows))

    batch_committed.connect(receiver)
    try:
        real_recorder.submit(make_trace(correlation_id="wf-alone"))
        # Idle: written long before the 6 s interval is over (a live view sees it at once).
        assert real_recorder.flush(3)
        # Right after a write, the next ones wait for the interval and go together.
        real_recorder.submit(make_trace(correlation_id="wf-b"))
        real_recorder.submit(make_trace(correlation_id="wf-c"))
        assert not real_recorder.flush(0.5)
        assert real_recorder.flush(30)
    finally:
        batch_committed.disconnect(receiver)
    assert sizes == [1, 2]
