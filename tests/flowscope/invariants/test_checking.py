"""Invariants checked by the store pipeline, after the batch that ends a workflow: its
steps from every batch are read, each broken rule becomes one error of its own group, and
a workflow is checked once."""

from datetime import timedelta

import pytest

from flowscope.alerts.evaluation import Evaluator
from flowscope.invariants.checking import check_workflows
from flowscope.models import AlertEvent, ErrorLog, InvariantCheck, WorkflowSession
from flowscope.recording.losses import Losses
from flowscope.recording.store_pipeline import StorePipeline
from flowscope.reports import workflow as workflow_report
from tests.flowscope.alerts.conftest import committed, record  # noqa: F401
from tests.flowscope.factories import T0, make_error, make_span, make_trace

pytestmark = pytest.mark.django_db(transaction=True)

ORDER_INSERT = 'INSERT INTO "shop_order" ("total") VALUES (?)'
RULES = {
    "checkout": [
        {
            "name": "one order row",
            "kind": "count",
            "steps": {"sql": "INSERT INTO shop_order *"},
            "equals": 1,
            "when": "completed",
        },
        {"name": "no 5xx", "kind": "no_server_errors"},
    ]
}


@pytest.fixture(autouse=True)
def invariants(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INVARIANTS": RULES, "ALERT_RULES": []}


def checkout(cid, order_rows=1, at=T0):
    """A checkout in two requests, written in two batches."""
    record([make_trace(cid, at=at, name="POST /api/v1/cart/items/", workflow_type="checkout")])
    inserts = [make_span("database", ORDER_INSERT, at=at) for _ in range(order_rows)]
    paying = make_trace(
        cid,
        at=at + timedelta(seconds=1),
        name="POST /api/v1/orders/checkout/",
        workflow_type="checkout",
        complete=True,
        spans=inserts,
    )
    record([paying])
    return WorkflowSession.objects.get(correlation_id=cid)


def test_a_completed_workflow_that_breaks_a_rule_gets_an_error_naming_it():
    workflow = checkout("wf-twice", order_rows=2)
    [error] = ErrorLog.objects.filter(error_type="InvariantViolation")
    assert error.workflow == workflow and error.layer == "custom"
    assert error.message == (
        "checkout invariant 'one order row' broken: observed 2, expected equal to 1"
    )
    assert error.request_context["invariant"] == {
        "rule": "one order row",
        "kind": "count",
        "workflow_type": "checkout",
        "workflow_status": "completed",
        "observed": "2",
        "expected": "equal to 1",
    }
    check = InvariantCheck.objects.get(workflow=workflow)
    assert (check.rules, check.violated) == (["one order row", "no 5xx"], ["one order row"])
    workflow.refresh_from_db()
    assert workflow.error_count == 1  # the workflow's own list shows it


def test_a_correct_workflow_is_checked_and_gets_no_error():
    workflow = checkout("wf-right")
    assert InvariantCheck.objects.get(workflow=workflow).violated == []
    assert not ErrorLog.objects.exists()


def test_a_workflow_a_retry_completed_is_held_to_its_rules_by_the_attempt_that_paid():
    declined = make_trace(
        "wf-retried",
        name="POST /api/v1/orders/checkout/",
        workflow_type="checkout",
        status="error",
        spans=[make_span("database", ORDER_INSERT, at=T0)],
        errors=[make_error("card declined", error_type="PaymentDeclined")],
    )
    record([declined])
    workflow = checkout("wf-retried", at=T0 + timedelta(seconds=5))
    assert (workflow.status, workflow.failed_attempts) == ("completed", 1)
    assert InvariantCheck.objects.get(workflow=workflow, status="completed").violated == []


def test_one_broken_rule_is_one_error_group():
    checkout("wf-1", order_rows=2)
    checkout("wf-2", order_rows=3)
    errors = ErrorLog.objects.filter(error_type="InvariantViolation")
    assert errors.count() == 2
    assert len({error.fingerprint for error in errors}) == 1


def test_a_workflow_is_checked_once():
    workflow = checkout("wf-once", order_rows=2)
    # Another writer saw it end too; and more traffic reaches it after it ended.
    again = check_workflows([(workflow.pk, "checkout", "completed")])
    assert again.errors == []
    record([make_trace("wf-once", at=T0 + timedelta(seconds=5), workflow_type="checkout")])
    assert ErrorLog.objects.filter(error_type="InvariantViolation").count() == 1
    assert InvariantCheck.objects.count() == 1


def test_failed_workflows_are_checked_by_the_rules_that_apply_to_them():
    crash = make_trace(
        "wf-500",
        name="GET /api/v1/shipping/estimate/",
        workflow_type="checkout",
        errors=[make_error("KeyError: 'JP'", error_type="KeyError")],
    )
    crash.root.metadata["status_code"] = 500
    record([crash])
    check = InvariantCheck.objects.get(workflow__correlation_id="wf-500")
    assert check.status == "failed"
    assert (check.rules, check.violated) == (["no 5xx"], ["no 5xx"])


def test_workflows_without_rules_or_not_ended_are_not_checked():
    record([make_trace("wf-login", workflow_type="login", complete=True)])
    record([make_trace("wf-open", workflow_type="checkout")])
    assert not InvariantCheck.objects.exists()


def test_rules_that_cannot_be_read_check_nothing(settings, caplog):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INVARIANTS": {"checkout": [{"name": "x"}]}}
    checkout("wf-unread", order_rows=2)
    assert not InvariantCheck.objects.exists()
    assert "invariants are off: INVARIANTS: checkout" in caplog.text


def test_violations_reach_the_sinks_and_a_new_rule_broken_notifies_once(
    committed,  # noqa: F811
    settings,
):
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "ALERT_RULES": [{"name": "new-errors", "kind": "new_error_group"}],
    }
    evaluator = Evaluator()
    checkout("wf-a", order_rows=2)
    checkout("wf-b", order_rows=0)
    for batch in committed:
        evaluator(batch)
    [alert] = AlertEvent.objects.all()
    assert alert.message.startswith(
        "New error: InvariantViolation: checkout invariant 'one order row' broken: observed 2"
    )
    [first, second] = [batch for batch in committed if batch.errors]
    # Each names its workflow, with the error counted and its status as it was: the live
    # feed routes the error to the workflow's page; no rule takes it for a new ending.
    assert [w.correlation_id for w in first.workflows] == ["wf-a"]
    assert first.workflows[0].error_count == 1
    assert first.previous_status == {"wf-a": "completed"}
    assert second.errors[0].workflow.correlation_id == "wf-b"


def test_a_pipeline_writes_the_check_after_the_batch_that_ended_the_workflow():
    pipeline = StorePipeline("test:1", Losses(), process_metrics=False)
    inserts = [make_span("database", ORDER_INSERT) for _ in range(2)]
    ended = make_trace("wf-one-batch", workflow_type="checkout", complete=True, spans=inserts)
    pipeline.handle([ended])
    assert InvariantCheck.objects.get(workflow__correlation_id="wf-one-batch").violated == [
        "one order row"
    ]
    assert pipeline.snapshot()["written"] == 1  # the check is not counted as a record
    pipeline.finish()


def test_the_workflow_report_lists_the_rules_broken_and_held():
    report = workflow_report.build(checkout("wf-report", order_rows=2))
    [section] = [s for s in report["sections"] if s["key"] == "invariants"]
    assert section["rows"] == [
        ["one order row", "broken", "checkout invariant 'one order row' broken: observed 2, "
         "expected equal to 1"],
        ["no 5xx", "held", ""],
    ]  # fmt: skip
    assert section["note"] == "Checked when it completed."
    unchecked = workflow_report.build(WorkflowSession.objects.create(
        correlation_id="wf-open", started_at=T0, last_activity_at=T0))  # fmt: skip
    assert [s["kind"] for s in unchecked["sections"] if s["key"] == "invariants"] == ["text"]
