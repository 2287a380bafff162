"""Invariants checked off the request path: a follow-up of the store pipeline
(``recording.store_pipeline.add_follow_up``, added by the app's ``ready()``).

After a batch commits, the workflows it ended (completed or failed) whose type has rules
are checked in one write of their own: their stored steps are read, every rule is
evaluated, and each broken rule becomes an ``ErrorLog`` of type ``InvariantViolation``
linked to the workflow (one error group per rule: the fingerprint is the rule's). The
write's commit reaches the sinks like any batch, so alert rules of kind
``new_error_group`` and the live feed see violations as they see other errors.

A workflow is checked once per status it ends in: its ``InvariantCheck`` row is inserted in
the same transaction, and a second writer that saw the same workflow end finds it (or fails
to insert it) and writes nothing. A workflow that failed and that a retry then completed is
checked again as completed, on the steps of the attempt that succeeded.
"""

import functools
import hashlib
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from flowscope.invariants.evaluation import evaluate
from flowscope.invariants.rules import Rulebook
from flowscope.models import ErrorLog, InvariantCheck, TraceStep, WorkflowSession
from flowscope.recording.writer import CommittedBatch

logger = logging.getLogger("flowscope.invariants")

ERROR_TYPE = InvariantCheck.ERROR_TYPE
LAYER = "custom"  # the project's own rules, like its own steps
CHECKED = (WorkflowSession.Status.COMPLETED.value, WorkflowSession.Status.FAILED.value)

rulebook = Rulebook(on_error=lambda exc: logger.error("invariants are off: INVARIANTS: %s", exc))


def fingerprint(workflow_type, rule_name):
    """One error group per rule, whatever the values observed."""
    text = f"{ERROR_TYPE}\n{workflow_type}\n{rule_name}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def check_committed(batch):
    """The follow-up: a write checking the workflows ``batch`` ended, or None."""
    rules = rulebook()
    if not rules or not (batch.new_workflow_rows or batch.updated_workflows):
        return None
    ended = [
        (w.pk, w.workflow_type, w.status)
        for w in batch.workflows
        if w.status in CHECKED
        and w.workflow_type in rules
        and batch.previous_status.get(w.correlation_id) != w.status
    ]
    return functools.partial(check_workflows, ended) if ended else None


def check_workflows(ended, at=None):
    """Check each ``(id, type, status)`` not checked before; one transaction. Return the
    violations written, as a ``CommittedBatch`` with the workflows they were counted on
    (their status unchanged: no sink takes them for workflows that just ended)."""
    rules, at = rulebook(), at or timezone.now()
    errors = []
    with transaction.atomic():
        done = set(
            InvariantCheck.objects.filter(workflow_id__in=[pk for pk, _, _ in ended]).values_list(
                "workflow_id", "status"
            )
        )
        for pk, workflow_type, status in ended:
            if (pk, status) not in done:
                errors += _check(pk, status, rules.get(workflow_type, []), at)
                done.add((pk, status))
        counted = list(WorkflowSession.objects.filter(pk__in={e.workflow_id for e in errors}))
    return CommittedBatch(
        errors=errors,
        updated_workflows=counted,
        previous_status={w.correlation_id: w.status for w in counted},
    )


def _check(pk, status, rules, at):
    applying = [rule for rule in rules if rule.applies_to(status)]
    steps = list(TraceStep.objects.filter(workflow_id=pk).order_by("started_at", "id"))
    if status == WorkflowSession.Status.COMPLETED:
        steps = last_attempt(steps)
    violations = evaluate(applying, status, steps)
    try:
        with transaction.atomic():  # another writer checked it first: leave it to that one
            InvariantCheck.objects.create(
                workflow_id=pk,
                checked_at=at,
                status=status,
                rules=[rule.name for rule in applying],
                violated=[v.rule.name for v in violations],
            )
    except IntegrityError:
        return []
    errors = [_error(pk, status, violation, at) for violation in violations]
    for error in errors:  # one at a time: the new-error alert reads their ids
        error.save(force_insert=True)
    if errors:
        WorkflowSession.objects.filter(pk=pk).update(
            error_count=F("error_count") + len(errors), updated_at=at
        )
    return errors


def last_attempt(steps):
    """The steps after the last request that failed: a workflow a retry completed is held
    to its rules by the attempt that succeeded (a declined payment then a paid one is one
    order, not two)."""
    failed = [s for s in steps if s.layer == "api" and s.status == TraceStep.Status.ERROR]
    if not failed:
        return steps
    last = failed[-1]
    after = last.started_at + timedelta(milliseconds=last.duration_ms)
    return [step for step in steps if step.started_at >= after]


def _error(pk, status, violation, at):
    rule = violation.rule
    return ErrorLog(
        workflow_id=pk,
        step_id=violation.step.pk if violation.step is not None else None,
        layer=LAYER,
        error_type=ERROR_TYPE,
        message=violation.message,
        severity="error",
        fingerprint=fingerprint(rule.workflow_type, rule.name),
        created_at=at,
        recorded_at=at,
        request_context={
            "invariant": {
                "rule": rule.name,
                "kind": rule.kind,
                "workflow_type": rule.workflow_type,
                "workflow_status": status,
                "observed": str(violation.observed),
                "expected": violation.expected,
            }
        },
    )
