"""The recorder never blocks or breaks a request, whatever the store does."""

import os
import threading
import time
from contextlib import contextmanager

import pytest
from django.db import OperationalError
from django.test import Client

from flowscope.models import PerformanceSnapshot, TraceStep, WorkflowSession
from flowscope.recording import recorder as recorder_module
from flowscope.recording import write_policy, writer
from flowscope.recording.recorder import Recorder, add_sink, remove_sink
from flowscope.records.trace import now
from flowscope.signals import batch_committed
from flowscope.testing import use_recorder
from tests.flowscope.factories import T0, make_trace

pytestmark = pytest.mark.urls("tests.flowscope.capture.views")


@contextmanager
def sink(receive):
    add_sink(receive)
    try:
        yield
    finally:
        remove_sink(receive)


@pytest.fixture
def blocked_writer(monkeypatch):
    """The writer holds its first batch until ``release`` is set."""
    release, started = threading.Event(), threading.Event()
    real_write = writer.write

    def write(items):
        started.set()
        assert release.wait(60)  # set by the test, or at its end
        return real_write(items)

    monkeypatch.setattr(writer, "write", write)
    yield started, release
    release.set()


def test_a_full_queue_drops_and_counts_without_blocking_requests(
    settings, blocked_writer, transactional_db, caplog
):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "QUEUE_SIZE": 2}
    started, release = blocked_writer
    with use_recorder(Recorder()) as recorder:
        try:
            client = Client()
            client.get("/sync/first/")
            assert started.wait(10)  # the writer is now stuck on the first request
            answers = [client.get(f"/sync/r{i}/").status_code for i in range(5)]
            assert answers == [200] * 5
            stats = recorder.snapshot()
            assert (stats["queued"], stats["dropped"], stats["queue_depth"]) == (3, 3, 2)
            assert stats["dropped_by_reason"]["queue_full"] == 3
        finally:
            release.set()
            assert recorder.flush(10)
            recorder.shutdown(30)
    assert recorder.snapshot()["written"] == 3
    # Said in the log with its number: the first at once, the rest by shutdown at the latest.
    lost = [r.getMessage() for r in caplog.records if "flowscope lost" in r.getMessage()]
    assert sum(int(message.split()[2]) for message in lost) == 3
    assert all("queue full" in message for message in lost)


def test_a_record_flowscope_fails_to_prepare_costs_only_itself(
    real_recorder, monkeypatch, settings
):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "RAISE_INTERNAL_ERRORS": False}
    real_prepare = recorder_module.prepare

    def prepare(record):
        if record.correlation_id == "wf-bad":
            raise ValueError("a bug in flowscope")
        return real_prepare(record)

    monkeypatch.setattr(recorder_module, "prepare", prepare)
    for cid in ("wf-1", "wf-bad", "wf-2"):
        real_recorder.submit(make_trace(correlation_id=cid))
    assert real_recorder.flush(30)
    assert sorted(WorkflowSession.objects.values_list("correlation_id", flat=True)) == [
        "wf-1",
        "wf-2",
    ]
    assert real_recorder.snapshot()["dropped_by_reason"]["prepare_failed"] == 1


def test_shutdown_writes_what_is_queued_and_the_open_rollups(real_recorder):
    for index in range(5):
        Client().get(f"/sync/s{index}/")
    real_recorder.shutdown(30)
    assert WorkflowSession.objects.count() == 5
    assert TraceStep.objects.filter(layer="cache").count() == 10
    assert PerformanceSnapshot.objects.filter(
        metric="throughput_rpm", component="*", source=real_recorder.source
    ).exists()


def test_a_batch_shutdown_gave_up_on_is_counted_lost_and_never_stored(
    blocked_writer, transactional_db, caplog
):
    """Shutdown's time ran out while the writer held a batch: counted as lost, so the
    writer's commit, when it comes in the process's last moments, must roll back."""
    started, release = blocked_writer
    recorder = Recorder()
    with use_recorder(recorder):
        for index in range(3):
            Client().get(f"/sync/late{index}/")
        assert started.wait(30)  # the writer holds the batch, uncommitted
        recorder.shutdown(0.2)
        release.set()  # the writer goes on to its commit, too late
        deadline = time.monotonic() + 30
        while recorder.snapshot()["writer_alive"] and time.monotonic() < deadline:
            time.sleep(0.05)
    stats = recorder.snapshot()
    assert (stats["writer_alive"], stats["dropped"]) == (False, 3)
    assert stats["dropped_by_reason"]["shutdown"] == 3
    assert WorkflowSession.objects.count() == 0
    assert [r.getMessage() for r in caplog.records if "flowscope lost" in r.getMessage()]


def test_a_failing_store_is_retried_then_dropped_while_the_app_keeps_serving(
    real_recorder, monkeypatch
):
    monkeypatch.setattr(write_policy, "BACKOFF_SECONDS", 0.001)
    real_write, calls = writer.write, []

    def flaky(items):
        calls.append(len(items))
        if len(calls) <= 4:  # the first batch fails on every attempt (1 + 3 retries)
            raise OperationalError("database is locked")
        return real_write(items)

    monkeypatch.setattr(writer, "write", flaky)
    assert Client().get("/sync/lost/").status_code == 200
    assert real_recorder.flush(10)
    stats = real_recorder.snapshot()
    assert (stats["failed_batches"], stats["retries"], stats["dropped"]) == (1, 3, 1)
    assert Client().get("/sync/kept/").status_code == 200
    assert real_recorder.flush(10)
    assert list(WorkflowSession.objects.values_list("metadata__entry_point", flat=True)) == [
        "GET /sync/<str:tag>/"
    ]
    assert real_recorder.snapshot()["written"] == 1


def test_a_forked_child_starts_afresh_and_never_writes_its_parents_queue(
    real_recorder, blocked_writer
):
    started, release = blocked_writer
    real_recorder.submit(make_trace("in-flight"))
    assert started.wait(10)  # the writer holds that one; the next two wait in the queue
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
        inherited = recorder.snapshot()["queue_depth"]
        recorder.submit(make_trace("child"))
        recorder.flush(30)
        return 0 if (inherited, written) == (0, ["child"]) else 1
    except BaseException:
        return 2


def test_sinks_hear_of_each_batch_after_it_commits(real_recorder, monkeypatch):
    heard = []

    def receive(batch):
        # Runs after the commit: the rows are there for anyone who reads them.
        visible = WorkflowSession.objects.filter(pk__in=[w.pk for w in batch.workflows])
        heard.append((batch, visible.count()))

    monkeypatch.setattr(write_policy, "BACKOFF_SECONDS", 0.001)
    with sink(receive):
        Client().get("/sync/heard/", HTTP_X_CORRELATION_ID="wf-heard")
        assert real_recorder.flush(10)
        monkeypatch.setattr(writer, "write", lambda items: 1 / 0)
        Client().get("/sync/lost/")
        assert real_recorder.flush(10)
    assert len(heard) == 1
    batch, visible = heard[0]
    assert [w.correlation_id for w in batch.workflows] == ["wf-heard"]
    assert [s.layer for s in batch.steps] == ["api", "database", "cache", "cache"]
    assert visible == 1


def test_a_failing_sink_is_counted_and_the_others_still_hear(real_recorder, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "RAISE_INTERNAL_ERRORS": False}
    heard, signalled = [], []

    def broken(batch):
        raise RuntimeError("sink bug")

    def receiver(sender, batch, **kwargs):  # third parties listen to the signal
        signalled.append(batch)

    before = real_recorder.snapshot()["internal_errors"]
    batch_committed.connect(receiver)
    try:
        with sink(broken), sink(heard.append):
            real_recorder.submit(make_trace("wf-sinks", at=now()))
            assert real_recorder.flush(10)
    finally:
        batch_committed.disconnect(receiver)
    assert [b.workflows[0].correlation_id for b in heard] == ["wf-sinks"]
    assert signalled == heard
    assert real_recorder.snapshot()["internal_errors"] == before + 1
    assert real_recorder.snapshot()["writer_alive"]


def test_a_request_never_wakes_the_writer_a_full_batch_does(real_recorder, settings):
    # An interval far longer than any wait below: a write before it is over was woken by
    # the batch size, not by the timer.
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "FLUSH_INTERVAL": 120.0, "BATCH_SIZE": 3}
    sizes, written = [], threading.Event()

    def receive(batch):
        if batch.workflows:  # closing rollup windows are committed batches of their own
            sizes.append(len(batch.workflows))
            written.set()

    with sink(receive):
        real_recorder.submit(make_trace(correlation_id="wf-a"))
        real_recorder.submit(make_trace(correlation_id="wf-b"))
        assert not written.wait(1.0)  # two traces: the writer sleeps on
        real_recorder.submit(make_trace(correlation_id="wf-c"))
        assert written.wait(30)  # the third fills a batch: written together
        real_recorder.submit(make_trace(correlation_id="wf-d"))
        assert real_recorder.flush(30)  # flush wakes it at once
    assert sizes == [3, 1]
    assert WorkflowSession.objects.count() == 4


def test_what_comes_in_during_a_write_waits_for_the_next_tick(
    real_recorder, settings, blocked_writer
):
    # Taken at once, the few records that arrive while a batch is written would make every
    # batch that small (a commit each) under steady load.
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "FLUSH_INTERVAL": 120.0, "BATCH_SIZE": 3}
    started, release = blocked_writer
    sizes, written = [], threading.Event()

    def receive(batch):
        if batch.workflows:
            sizes.append(len(batch.workflows))
            written.set()

    with sink(receive):
        for cid in ("wf-a", "wf-b", "wf-c"):
            real_recorder.submit(make_trace(correlation_id=cid))
        assert started.wait(30)  # a full batch woke the writer; it is writing
        real_recorder.submit(make_trace(correlation_id="wf-late"))
        release.set()
        assert written.wait(30)
        written.clear()
        assert not written.wait(1.0)  # the late one waits for the tick (or a flush)
        assert real_recorder.flush(30)
    assert sizes == [3, 1]


def test_idle_workflows_time_out_and_are_announced(real_recorder):
    writer.write([make_trace("wf-idle", at=T0)])  # days ago: far past the timeout
    announced = threading.Event()

    def receive(batch):
        if "wf-idle" in [w.correlation_id for w in batch.timed_out]:
            announced.set()

    with sink(receive):
        real_recorder.submit(make_trace("wf-active", at=now()))
        assert announced.wait(30)
    assert WorkflowSession.objects.get(correlation_id="wf-idle").status == "timed_out"
    assert WorkflowSession.objects.get(correlation_id="wf-active").status == "in_progress"
