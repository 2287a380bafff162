"""Workflows as stored: the list, one by its correlation ID with its steps and errors, the
one to compare it with, the workflows like it, and those that count in figures."""

import itertools
from collections import defaultdict, namedtuple

from django.db.models import Case, CharField, Count, F, Q, Value, When

from flowscope.analysis import timing
from flowscope.models import TraceStep, WorkflowSession

MAX_STEPS = 5000
MAX_ERRORS = 1000


def workflows():
    """Every workflow with its user, for lists to filter and order."""
    return WorkflowSession.objects.select_related("user")


def synthetic_in(since, until):
    """The ids of synthetic workflows active in ``[since, until)``: their steps are left out
    of health figures."""
    return (
        WorkflowSession.objects.synthetic()
        .filter(started_at__lt=until, last_activity_at__gte=since)
        .values("pk")
    )


def find(correlation_id):
    """The workflow of ``correlation_id`` with its user, or None."""
    return workflows().filter(correlation_id=correlation_id).first()


def exists(correlation_id):
    return WorkflowSession.objects.filter(correlation_id=correlation_id).exists()


def active(limit):
    """The latest ``limit`` workflows still in progress."""
    return list(
        workflows()
        .filter(status=WorkflowSession.Status.IN_PROGRESS, kind=WorkflowSession.Kind.WORKFLOW)
        .order_by("-started_at")[:limit]
    )


def changed_since(since, limit):
    return list(workflows().filter(updated_at__gte=since).order_by("-updated_at")[:limit])


def steps_of(workflow):
    """Its first MAX_STEPS steps, in the order they started."""
    return list(workflow.steps.order_by("started_at", "id")[:MAX_STEPS])


def steps_truncated(workflow, steps):
    return workflow.step_count > len(steps) == MAX_STEPS


def errors_of(workflow):
    """Its first MAX_ERRORS errors, oldest first (a retry loop can log thousands)."""
    return list(
        workflow.errors.select_related("step", "workflow").order_by("created_at", "id")[:MAX_ERRORS]
    )


def errors_truncated(workflow, errors):
    return workflow.error_count > len(errors) == MAX_ERRORS


def last_success(subject):
    """The latest other completed workflow (or request trace) of the subject's type, or
    None."""
    return (
        WorkflowSession.objects.filter(
            workflow_type=subject.workflow_type,
            kind=subject.kind,
            status=WorkflowSession.Status.COMPLETED,
        )
        .exclude(pk=subject.pk)
        .order_by("-started_at")
        .first()
    )


def completed_peers(workflow, period, limit):
    """``[(pk, duration_ms)]`` of up to ``limit`` other completed workflows of its type that
    started within ``period`` of it, latest first."""
    return list(
        WorkflowSession.objects.filter(
            workflow_type=workflow.workflow_type,
            kind=workflow.kind,
            status=WorkflowSession.Status.COMPLETED,
            started_at__gte=workflow.started_at - period,
            started_at__lte=workflow.started_at + period,
        )
        .exclude(pk=workflow.pk)
        .order_by("-started_at")
        .values_list("pk", "duration_ms")[:limit]
    )


# What ``timing.time_per_layer`` reads of a step.
StepTiming = namedtuple("StepTiming", "span_id parent_span_id layer duration_ms started_at pk")


def time_per_layer(workflow_ids):
    """``{workflow id: {layer: {"count", "total_ms", "self_ms"}}}``, reckoned as
    ``timing.time_per_layer`` reckons one workflow's steps, so that a workflow's figures
    compare with its peers'. Self time needs each step's children: the steps are read
    workflow by workflow, and only one workflow's are held at a time."""
    rows = (
        TraceStep.objects.filter(workflow_id__in=workflow_ids)
        .order_by("workflow_id")
        .values_list("workflow_id", *StepTiming._fields)
        .iterator(chunk_size=2000)
    )
    return {
        workflow_id: timing.time_per_layer([StepTiming(*row[1:]) for row in group])
        for workflow_id, group in itertools.groupby(rows, key=lambda row: row[0])
    }


def time_per_layer_and_step(workflow_ids, names):
    """``{workflow id: (layers, steps)}``: ``layers`` as ``time_per_layer`` gives them, and
    ``steps`` ``{(layer, name): self ms}`` summed over the workflow's steps of each of
    ``names``. One read as ``time_per_layer``'s: only the names asked for come back from
    the store (a query's name is its SQL, up to 500 characters)."""
    nameless = Value("", output_field=CharField())
    budgeted = (
        Case(When(name__in=sorted(names), then=F("name")), default=nameless) if names else nameless
    )
    rows = (
        TraceStep.objects.filter(workflow_id__in=workflow_ids)
        .order_by("workflow_id")
        .annotate(budgeted=budgeted)
        .values_list("workflow_id", "budgeted", *StepTiming._fields)
        .iterator(chunk_size=2000)
    )
    found = {}
    for workflow_id, group in itertools.groupby(rows, key=lambda row: row[0]):
        group = list(group)
        steps = [StepTiming(*row[2:]) for row in group]
        timed = list(timing.self_times(steps))
        by_name = defaultdict(float)
        for (_, name, *_), (step, own) in zip(group, timed, strict=True):
            if name:
                by_name[(step.layer, name)] += own
        found[workflow_id] = (timing.layer_times(timed), dict(by_name))
    return found


def _by_status():
    """Aggregates: how many in all, and how many in each status."""
    return {
        "total": Count("id"),
        **{
            status: Count("id", filter=Q(status=status)) for status in WorkflowSession.Status.values
        },
    }


def outcomes(start, end):
    """``{"total", "in_progress", "completed", "failed", "timed_out"}`` of the workflows
    that started in ``[start, end)``."""
    return started_in(start, end).aggregate(**_by_status())


def outcomes_by_type(start, end):
    """``outcomes`` per workflow type, with ``workflow_type``; the most frequent first."""
    return list(
        started_in(start, end)
        .values("workflow_type")
        .annotate(**_by_status())
        .order_by("-total", "workflow_type")
    )


def started_in(start, end):
    """The workflows of real traffic (``WorkflowQuerySet.real_traffic``) that started in
    ``[start, end)``."""
    return WorkflowSession.objects.real_traffic().filter(started_at__gte=start, started_at__lt=end)


def slowest(start, end, limit):
    """The ``limit`` longest workflows that started in ``[start, end)`` and have ended."""
    return list(
        started_in(start, end).filter(duration_ms__isnull=False).order_by("-duration_ms")[:limit]
    )
