"""The "redis" transport in one process: what a serving process appends to the stream, what
it drops and counts, and what a writer makes of the entries (tests with processes and a
Redis that goes away: test_stream_processes.py)."""

import contextlib
import os
import socket
import threading
import uuid

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import Client

from flowscope.conf import flowscope_settings
from flowscope.models import PerformanceSnapshot, WorkflowSession
from flowscope.recording import stream, write_policy, writer
from flowscope.recording.recorder import Recorder
from flowscope.recording.stream_consumer import StreamWriter
from flowscope.records import codec
from flowscope.testing import use_recorder
from tests.flowscope.factories import make_trace
from tests.servers import free_port

pytestmark = pytest.mark.urls("tests.flowscope.capture.views")


@pytest.fixture
def redis_stream(settings):
    """The "redis" transport on REDIS_URL, with a stream of this test's own."""
    import redis

    url, key = os.environ["REDIS_URL"], f"flowscope:test:{uuid.uuid4().hex}"
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "TRANSPORT": "redis", "STREAM_URL": url}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "STREAM_KEY": key}
    client = redis.Redis.from_url(url)
    yield client
    client.delete(key)
    client.close()


def append(client, key, records):
    return client.xadd(key, {stream.FIELD: codec.encode(records)})


def key_of(settings):
    return settings.FLOWSCOPE["STREAM_KEY"]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_serving_process_sends_each_batch_as_one_entry(redis_stream, settings):
    with use_recorder(Recorder()) as recorder:
        for tag in ("a", "b", "c"):
            Client().get(f"/sync/{tag}/", headers={"x-correlation-id": f"wf-stream-{tag}"})
        assert recorder.flush(30)
        stats = recorder.snapshot()
    assert (stats["transport"], stats["sent"], stats["dropped"]) == ("redis", 3, 0)
    entries = redis_stream.xrange(key_of(settings))
    sent = [record for _, fields in entries for record in codec.decode(fields[stream.FIELD])]
    assert sorted(t.correlation_id for t in sent) == ["wf-stream-a", "wf-stream-b", "wf-stream-c"]
    assert len(entries) == stats["sent_batches"]
    assert not WorkflowSession.objects.exists()  # the writers store them, not this process


@pytest.mark.redis
def test_a_full_stream_drops_and_counts(redis_stream, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "STREAM_MAX_LENGTH": 1}
    with use_recorder(Recorder()) as recorder:
        recorder.pipeline.handle([make_trace("wf-first")])
        recorder.pipeline.handle([make_trace("wf-second"), make_trace("wf-third")])
        stats = recorder.snapshot()
    assert stats["dropped_by_reason"]["stream_full"] == 2
    assert redis_stream.xlen(key_of(settings)) == 1


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_redis_drops_and_counts_while_requests_are_answered(settings):
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "TRANSPORT": "redis", "STREAM_URL": closed}
    with use_recorder(Recorder()) as recorder:
        answers = [Client().get(f"/sync/down{i}/").status_code for i in range(3)]
        assert recorder.flush(30)
        stats = recorder.snapshot()
    assert answers == [200] * 3
    assert stats["dropped_by_reason"]["stream_unavailable"] == 3
    assert stats["writer_alive"]
    assert "stream_error" in stats  # what health shows instead of the stream's length


@pytest.fixture
def stalled_redis():
    """A server that takes connections and never answers: Redis stuck, or a black hole."""
    listener = socket.create_server(("127.0.0.1", 0))
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.mark.django_db(transaction=True)
def test_a_redis_that_never_answers_costs_drops_not_requests(settings, stalled_redis):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "TRANSPORT": "redis", "STREAM_URL": stalled_redis}
    with use_recorder(Recorder()) as recorder:
        answers = [Client().get(f"/sync/stalled{i}/").status_code for i in range(3)]
        assert recorder.flush(30)  # the writer thread is not stuck on the silent socket
        stats = recorder.snapshot()
    assert answers == [200] * 3
    assert stats["dropped_by_reason"]["stream_unavailable"] == 3
    assert stats["writer_alive"]


@pytest.mark.redis
@pytest.mark.urls("ecommerce_project.urls")
@pytest.mark.django_db(transaction=True)
def test_health_shows_the_stream_and_its_writers(redis_stream, settings, staff_client):
    StreamWriter("writer-a", block_ms=10).ensure_group()
    append(redis_stream, key_of(settings), [make_trace("wf-waiting")])
    with use_recorder(Recorder()):
        body = staff_client.get("/api/v1/debugging/health/").json()
    recorder = body["components"]["recorder"]
    assert recorder["transport"] == "redis"
    assert (recorder["stream_length"], recorder["stream_lag"]) == (1, 1)
    assert recorder["stream_pending"] == 0


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_writer_stores_the_entries_then_acknowledges_and_deletes_them(redis_stream, settings):
    key = key_of(settings)
    writer_a = StreamWriter("writer-a", block_ms=10)
    writer_a.ensure_group()
    first = append(redis_stream, key, [make_trace("wf-1"), make_trace("wf-2")])
    append(redis_stream, key, [make_trace("wf-3", complete=True)])
    entries = writer_a._read() or writer_a._read()  # own pending first (none), then new
    records = writer_a.decoded(entries)
    assert [r.idempotency_key for r in records[:2]] == [
        f"stream:{first.decode()}:0",
        f"stream:{first.decode()}:1",
    ]
    writer_a.write(entries)
    writer_a.pipeline.finish()
    assert set(WorkflowSession.objects.values_list("correlation_id", flat=True)) == {
        "wf-1",
        "wf-2",
        "wf-3",
    }
    assert redis_stream.xlen(key) == 0
    assert redis_stream.xpending(key, flowscope_settings.STREAM_GROUP)["pending"] == 0
    assert PerformanceSnapshot.objects.filter(source="writer-a").exists()  # rollups


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_undecodable_entry_is_acknowledged_and_counted(redis_stream, settings):
    key = key_of(settings)
    writer_a = StreamWriter("writer-a", block_ms=10)
    writer_a.ensure_group()
    redis_stream.xadd(key, {stream.FIELD: b"not a batch"})
    append(redis_stream, key, [make_trace("wf-good")])
    writer_a.write(writer_a._read() or writer_a._read())
    assert writer_a.losses.snapshot()["undecodable"] == 1
    assert WorkflowSession.objects.filter(correlation_id="wf-good").exists()
    assert redis_stream.xlen(key) == 0


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_while_the_store_is_down_nothing_is_acknowledged_or_lost(
    redis_stream, settings, monkeypatch
):
    key, group = key_of(settings), flowscope_settings.STREAM_GROUP
    writer_a = StreamWriter("writer-a", block_ms=10)
    writer_a.ensure_group()
    append(redis_stream, key, [make_trace("wf-kept"), make_trace("wf-kept-too")])
    entries = writer_a._read() or writer_a._read()
    real_write, attempts = writer.write, []
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WRITE_RETRIES": 0}

    def down_for_a_while(items):
        attempts.append(len(items))
        if len(attempts) <= 4:  # the store answers nothing, then comes back
            assert redis_stream.xpending(key, group)["pending"] == 1
            raise OperationalError("connection refused")
        return real_write(items)

    monkeypatch.setattr(writer, "write", down_for_a_while)
    monkeypatch.setattr(write_policy, "store_answers", lambda: len(attempts) > 4)
    monkeypatch.setattr("flowscope.recording.stream_consumer.BACKOFF_SECONDS", 0.01)
    writer_a.write(entries)
    assert writer_a.losses.total == 0
    assert WorkflowSession.objects.filter(correlation_id__startswith="wf-kept").count() == 2
    assert redis_stream.xpending(key, group)["pending"] == 0


def test_the_redis_transport_needs_a_stream_url(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "TRANSPORT": "redis", "STREAM_URL": None}
    errors = [m for m in checks.run_checks() if m.id == "flowscope.E003"]
    assert len(errors) == 1
    assert "STREAM_URL" in errors[0].msg
    with pytest.raises(CommandError, match="STREAM_URL"):
        call_command("flowscope_writer")


def test_the_writer_refuses_to_run_for_the_thread_transport():
    with pytest.raises(CommandError, match="TRANSPORT"):
        call_command("flowscope_writer")
