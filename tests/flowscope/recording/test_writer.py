import contextlib
import threading
from datetime import timedelta

import pytest
from django.db import connection

from flowscope.models import ErrorLog, TraceStep, WorkflowSession
from flowscope.recording import writer
from flowscope.records.trace import ExternalSpans
from tests.flowscope.factories import T0, make_error, make_span, make_trace

pytestmark = pytest.mark.django_db


def workflow(correlation_id="wf-1"):
    return WorkflowSession.objects.get(correlation_id=correlation_id)


def test_requests_of_one_workflow_accumulate_across_batches():
    sql = make_span("database", "SELECT ?", sql="SELECT ?")
    writer.write([make_trace(spans=[sql])])
    writer.write(
        [make_trace(at=T0 + timedelta(seconds=2)), make_trace(at=T0 + timedelta(seconds=3))]
    )
    session = workflow()
    assert (session.request_count, session.step_count, session.error_count) == (3, 4, 0)
    assert session.status == "in_progress"
    assert session.started_at == T0
    assert session.last_activity_at == T0 + timedelta(seconds=3, milliseconds=100)
    assert TraceStep.objects.count() == 4


def test_steps_keep_their_tree():
    db = make_span("database", "SELECT ?", sql="SELECT ?")
    writer.write([make_trace(spans=[db])])
    api, query = TraceStep.objects.order_by("layer")
    assert (api.layer, query.layer) == ("api", "database")
    assert query.parent_span_id == api.span_id


def test_completion_sets_end_and_duration():
    writer.write([make_trace()])
    writer.write([make_trace(at=T0 + timedelta(seconds=1), duration_ms=500, complete=True)])
    session = workflow()
    assert session.status == "completed"
    assert session.ended_at == T0 + timedelta(seconds=1, milliseconds=500)
    assert session.duration_ms == 1500


def browser_completion(at, correlation_id="wf-1"):
    """What the browser SDK sends when the page completes the workflow: no request."""
    return ExternalSpans(
        correlation_id=correlation_id,
        spans=[make_span("frontend", "workflow.complete", duration_ms=0, at=at)],
        complete=True,
    )


def test_an_error_fails_the_workflow_and_what_the_browser_reports_after_keeps_it_failed():
    # Until issue 17 a failure was for good. The browser's report of the failed attempt
    # (its fetch steps, the page completing the workflow) still leaves it failed.
    writer.write([make_trace(errors=[make_error()])])
    writer.write([browser_completion(T0 + timedelta(seconds=1))])
    session = workflow()
    assert (session.status, session.error_count, session.failed_attempts) == ("failed", 1, 1)
    assert session.duration_ms == 100


def test_a_request_after_a_failure_is_a_retry_that_reopens_and_completes_the_workflow():
    writer.write([make_trace(errors=[make_error()], status="error")])
    writer.write([make_trace(at=T0 + timedelta(seconds=1))])  # e.g. the cart changed
    session = workflow()
    assert (session.status, session.ended_at, session.duration_ms) == ("in_progress", None, None)
    assert session.failed_attempts == 1
    writer.write([make_trace(at=T0 + timedelta(seconds=2), complete=True)])
    session = workflow()
    assert (session.status, session.duration_ms) == ("completed", 2100)
    # The failed attempt stays on record.
    assert (session.error_count, session.failed_attempts, session.request_count) == (1, 1, 3)
    assert ErrorLog.objects.get().step.status == "error"


def test_a_retry_that_pays_in_the_same_batch_completes_the_workflow():
    writer.write([make_trace(errors=[make_error()])])
    writer.write([make_trace(at=T0 + timedelta(seconds=5), duration_ms=200, complete=True)])
    session = workflow()
    assert (session.status, session.ended_at) == ("completed", T0 + timedelta(seconds=5.2))
    assert session.failed_attempts == 1


def test_a_failure_and_the_retry_that_paid_in_one_batch_are_one_completed_workflow():
    writer.write([make_trace()])
    declined = make_trace(at=T0 + timedelta(seconds=1), errors=[make_error()])
    paid = make_trace(at=T0 + timedelta(seconds=3), complete=True)
    writer.write([paid, browser_completion(T0 + timedelta(seconds=1.2)), declined])
    session = workflow()
    assert (session.status, session.failed_attempts, session.error_count) == ("completed", 1, 1)


def test_a_late_error_and_then_a_retry_in_one_batch_reopen_the_stored_failure():
    writer.write([make_trace(errors=[make_error()])])
    late = make_trace(at=T0 + timedelta(milliseconds=50), errors=[make_error()])
    late.root.layer = "task"
    writer.write([late, make_trace(at=T0 + timedelta(seconds=2), complete=True)])
    session = workflow()
    assert (session.status, session.failed_attempts, session.error_count) == ("completed", 1, 2)


def test_each_failed_retry_is_one_more_failed_attempt():
    writer.write([make_trace(errors=[make_error()])])
    writer.write([make_trace(at=T0 + timedelta(seconds=1), errors=[make_error()])])
    # A late error of the attempt that just failed is not another attempt.
    late = make_trace(at=T0 + timedelta(seconds=1, milliseconds=50), errors=[make_error()])
    late.root.layer = "task"  # a background task of that attempt: no request
    writer.write([late])
    session = workflow()
    assert (session.status, session.failed_attempts, session.error_count) == ("failed", 2, 3)
    writer.write([make_trace(at=T0 + timedelta(seconds=2), complete=True)])
    assert (workflow().status, workflow().failed_attempts) == ("completed", 2)


def test_a_request_that_started_before_the_failure_reopens_nothing():
    """Two requests of one attempt ran at once; the one that did not fail is written last."""
    writer.write([make_trace(at=T0 + timedelta(milliseconds=50), errors=[make_error()])])
    writer.write([make_trace(at=T0)])
    assert workflow().status == "failed"


def test_a_retry_left_unfinished_times_out_with_its_failed_attempt():
    writer.write([make_trace(errors=[make_error()])])
    writer.write([make_trace(at=T0 + timedelta(seconds=1))])
    changed = writer.time_out_idle_workflows(T0 + timedelta(minutes=60), timeout_seconds=1800)
    assert [w.correlation_id for w in changed.timed_out] == ["wf-1"]
    assert (workflow().status, workflow().failed_attempts) == ("timed_out", 1)


def browser_error(at, correlation_id="wf-1"):
    """The browser's report of a failed call (say the 402 of a declined card): no request."""
    error = make_error("payment declined")
    error.layer, error.created_at = "frontend", at
    return ExternalSpans(correlation_id=correlation_id, spans=[], errors=[error])


def test_a_late_report_of_the_failed_attempt_leaves_the_retry_that_completed_completed():
    writer.write([make_trace(errors=[make_error()])])
    writer.write([make_trace(at=T0 + timedelta(seconds=2), complete=True)])
    completed = workflow()
    # The browser's error event of the first attempt, and a slow task of it whose steps
    # started before the completion, arrive after the retry was written.
    slow = make_trace(at=T0 + timedelta(seconds=1), duration_ms=5000, errors=[make_error()])
    slow.root.layer = "task"
    writer.write([browser_error(T0 + timedelta(milliseconds=150))])
    writer.write([slow])
    session = workflow()
    assert (session.status, session.failed_attempts) == ("completed", 1)
    assert (session.ended_at, session.duration_ms) == (completed.ended_at, completed.duration_ms)
    assert (session.error_count, session.step_count) == (3, 3)


def test_a_failure_that_starts_after_the_completion_fails_the_workflow():
    writer.write([make_trace(complete=True)])
    writer.write([make_trace(at=T0 + timedelta(seconds=5), errors=[make_error()])])
    session = workflow()
    assert (session.status, session.failed_attempts) == ("failed", 1)
    assert session.ended_at == T0 + timedelta(seconds=5.1)


def test_a_first_batch_with_a_failure_and_the_retry_that_paid_is_completed():
    declined = make_trace(errors=[make_error()])
    paid = make_trace(at=T0 + timedelta(seconds=2), complete=True)
    writer.write([paid, declined])
    session = workflow()
    assert (session.status, session.failed_attempts, session.error_count) == ("completed", 1, 1)
    assert session.ended_at == T0 + timedelta(seconds=2.1)


def test_a_first_batch_with_a_failed_retry_counts_both_failed_attempts():
    retried = make_trace(at=T0 + timedelta(seconds=2), errors=[make_error()])
    writer.write([retried, make_trace(errors=[make_error()])])
    session = workflow()
    assert (session.status, session.failed_attempts, session.error_count) == ("failed", 2, 2)


@pytest.mark.database_server
@pytest.mark.django_db(transaction=True)
def test_two_writers_judge_a_failure_by_the_status_the_other_stored(monkeypatch):
    """A retry's failure and a late error of it, written at the same moment by two writers:
    the second judges by the first's failure, so the late error is no other attempt."""
    writer.write([make_trace(errors=[make_error()])])
    writer.write([make_trace(at=T0 + timedelta(seconds=1))])  # the retry: running again
    retry_failed = make_trace(at=T0 + timedelta(seconds=2), errors=[make_error()])
    late = make_trace(at=T0 + timedelta(seconds=2.05), errors=[make_error()])
    late.root.layer = "task"  # a background task of that retry: no request
    # Each writer, having read the workflow, waits for the other to have read it too: they
    # raced this way when the read took no lock. A locked read makes the second wait for
    # the first's commit instead, and the first gives up waiting for it.
    both_read, apply = threading.Barrier(2), writer._apply

    def apply_when_both_read(session, traces):
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=3)
        apply(session, traces)

    monkeypatch.setattr(writer, "_apply", apply_when_both_read)
    failures = []

    def write(trace):
        try:
            writer.write([trace])
        except Exception as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(t,)) for t in (retry_failed, late)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    assert failures == []
    session = workflow()
    assert (session.status, session.failed_attempts, session.error_count) == ("failed", 2, 3)


def test_a_warning_does_not_fail_the_workflow():
    writer.write([make_trace(errors=[make_error(severity="warning")])])
    assert workflow().status == "in_progress"


def test_the_first_known_type_sticks():
    writer.write([make_trace()])
    assert workflow().workflow_type == "unknown"
    writer.write([make_trace(workflow_type="checkout")])
    writer.write([make_trace(workflow_type="login")])
    assert workflow().workflow_type == "checkout"


def test_idle_workflows_time_out_and_come_back_with_activity():
    writer.write([make_trace("idle"), make_trace("busy", at=T0 + timedelta(minutes=50))])
    changed = writer.time_out_idle_workflows(T0 + timedelta(minutes=60), timeout_seconds=1800)
    assert [w.correlation_id for w in changed.timed_out] == ["idle"]
    idle = workflow("idle")
    assert (idle.status, idle.ended_at, idle.duration_ms) == (
        "timed_out",
        T0 + timedelta(milliseconds=100),
        100,
    )
    assert workflow("busy").status == "in_progress"
    writer.write([make_trace("idle", at=T0 + timedelta(minutes=61))])
    idle = workflow("idle")
    assert (idle.status, idle.ended_at, idle.duration_ms) == ("in_progress", None, None)
    assert idle.recorded_ms == 61 * 60 * 1000 + 100


def test_unsampled_traces_are_stored_only_with_their_errors():
    writer.write(
        [
            make_trace("quiet", sampled=False),
            make_trace("noisy", sampled=False, errors=[make_error()]),
        ]
    )
    assert list(WorkflowSession.objects.values_list("correlation_id", flat=True)) == ["noisy"]
    assert ErrorLog.objects.get().workflow.correlation_id == "noisy"


def test_errors_link_to_their_step_and_group_by_fingerprint():
    failing = make_span("external", "gateway.charge")
    first = make_error("card 4000 declined for order 17")
    first.span_id = failing.span_id
    writer.write(
        [
            make_trace("a", spans=[failing], errors=[first]),
            make_trace("b", errors=[make_error("card 4000 declined for order 99")]),
            make_trace("c", errors=[make_error("a different problem")]),
        ]
    )
    a, b, c = (ErrorLog.objects.get(workflow__correlation_id=cid) for cid in "abc")
    assert a.step.name == "gateway.charge"
    assert b.step.layer == "api"
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_standalone_errors_have_no_workflow():
    writer.write([make_error("background job failed")])
    error = ErrorLog.objects.get()
    assert (error.workflow, error.step, error.message) == (None, None, "background job failed")


def test_a_failing_write_leaves_nothing_half_written(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ErrorLog.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        writer.write([make_trace(errors=[make_error()])])
    assert not WorkflowSession.objects.exists()
    assert not TraceStep.objects.exists()


def request_trace(**kwargs):
    """A request that came without a correlation ID: capture made one up."""
    return make_trace("req-1", correlation_given=False, **kwargs)


def test_a_request_outside_any_workflow_is_stored_ended():
    writer.write([request_trace(duration_ms=250)])
    row = workflow("req-1")
    assert (row.kind, row.status, row.workflow_type) == ("request", "completed", "unknown")
    assert (row.ended_at, row.duration_ms) == (T0 + timedelta(milliseconds=250), 250)
    assert (row.request_count, row.step_count) == (1, 1)


def test_a_request_trace_that_errored_is_failed():
    writer.write([request_trace(errors=[make_error()])])
    row = workflow("req-1")
    assert (row.kind, row.status, row.error_count) == ("request", "failed", 1)
    assert ErrorLog.objects.get().workflow == row


def test_requests_of_a_workflow_type_or_with_a_correlation_id_are_workflows():
    writer.write(
        [
            make_trace("typed", correlation_given=False, workflow_type="checkout"),
            make_trace("given"),
        ]
    )
    for cid in ("typed", "given"):
        assert (workflow(cid).kind, workflow(cid).status) == ("workflow", "in_progress")


def test_a_request_trace_never_times_out():
    writer.write([request_trace()])
    changed = writer.time_out_idle_workflows(T0 + timedelta(hours=2), timeout_seconds=1800)
    assert changed.timed_out == []
    assert workflow("req-1").status == "completed"


def test_a_typed_request_turns_a_request_trace_into_a_running_workflow():
    writer.write([request_trace()])
    later = T0 + timedelta(seconds=5)
    writer.write([make_trace("req-1", at=later, workflow_type="checkout")])
    row = workflow("req-1")
    assert (row.kind, row.workflow_type, row.status) == ("workflow", "checkout", "in_progress")
    assert (row.ended_at, row.duration_ms, row.request_count) == (None, None, 2)
    writer.write([make_trace("req-1", at=later + timedelta(seconds=1), complete=True)])
    row = workflow("req-1")
    assert (row.status, row.duration_ms) == ("completed", 6100)


def test_what_joins_a_request_trace_without_a_workflow_leaves_it_a_request():
    writer.write([request_trace()])
    task = make_trace("req-1", at=T0 + timedelta(seconds=1))
    task.root.layer = "task"
    writer.write([task])
    row = workflow("req-1")
    assert (row.kind, row.status, row.step_count) == ("request", "completed", 2)


def test_a_failed_request_trace_that_a_workflow_continues_runs_again():
    writer.write([request_trace(errors=[make_error()])])
    writer.write([make_trace("req-1", at=T0 + timedelta(seconds=5), workflow_type="checkout")])
    row = workflow("req-1")
    assert (row.kind, row.status, row.ended_at, row.error_count) == (
        "workflow",
        "in_progress",
        None,
        1,
    )
