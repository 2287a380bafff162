"""Records delivered again under the same idempotency key are stored once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from flowscope.models import DeliveryReceipt, ErrorLog, TraceStep, WorkflowSession
from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_span, make_trace

pytestmark = pytest.mark.django_db


def keyed_trace(key, correlation_id="wf-1"):
    trace = make_trace(
        correlation_id,
        spans=[make_span("database", "SELECT ?", sql="SELECT ?")],
        errors=[make_error()],
    )
    trace.idempotency_key = key
    return trace


def stored():
    session = WorkflowSession.objects.get(correlation_id="wf-1")
    return (
        session.request_count,
        session.step_count,
        session.error_count,
        TraceStep.objects.count(),
        ErrorLog.objects.count(),
    )


def test_a_record_delivered_again_is_stored_once():
    writer.write([keyed_trace("stream:1-0:0")])
    again = writer.write([keyed_trace("stream:1-0:0")])
    assert stored() == (1, 2, 1, 2, 1)
    assert not again.steps and not again.errors


def test_a_key_twice_in_one_batch_is_stored_once():
    writer.write([keyed_trace("spool:a:0"), keyed_trace("spool:a:0")])
    assert stored() == (1, 2, 1, 2, 1)


def test_keys_are_per_record():
    """A batch written again record by record (as the write policy falls back to) skips
    only the records already written."""
    writer.write([keyed_trace("k:0")])
    writer.write([keyed_trace("k:0"), keyed_trace("k:1")])
    assert stored() == (2, 4, 2, 4, 2)
    assert sorted(DeliveryReceipt.objects.values_list("key", flat=True)) == ["k:0", "k:1"]


def test_records_without_a_key_are_always_written():
    writer.write([make_trace()])
    writer.write([make_trace()])
    assert WorkflowSession.objects.get().request_count == 2
    assert not DeliveryReceipt.objects.exists()


def test_prune_deletes_receipts_older_than_the_age(capsys):
    writer.write([keyed_trace("old"), keyed_trace("new")])
    DeliveryReceipt.objects.filter(key="old").update(written_at=timezone.now() - timedelta(days=10))
    call_command("flowscope_prune", "--older-than", "7d")
    assert list(DeliveryReceipt.objects.values_list("key", flat=True)) == ["new"]
    assert "1 receipts" in capsys.readouterr().out


def test_a_committed_batch_shows_the_steps_it_wrote():
    committed = writer.write([keyed_trace("k:0")])
    stored_steps = {(s.span_id, s.name, s.workflow_id) for s in TraceStep.objects.all()}
    assert {(s.span_id, s.name, s.workflow_id) for s in committed.steps} == stored_steps
    assert all(isinstance(s.metadata, dict) for s in committed.steps)


def test_a_workflow_another_writer_inserted_meanwhile_is_updated_not_replaced(monkeypatch):
    """Between the writer's lookup and its insert, another process stores the workflow."""
    new_workflow = writer._new_workflow

    def raced(correlation_id, traces, marker):
        other = new_workflow(correlation_id, traces, timezone.now() - timedelta(seconds=1))
        names = [f.attname for f in writer.SESSION_FIELDS]
        WorkflowSession.objects.create(**dict(zip(names, other, strict=True)))
        return new_workflow(correlation_id, traces, marker)

    monkeypatch.setattr(writer, "_new_workflow", raced)
    committed = writer.write([keyed_trace("k:0")])
    assert stored() == (2, 4, 2, 2, 1)  # the other's counts and this batch's, added
    assert [w.request_count for w in committed.workflows] == [2]
