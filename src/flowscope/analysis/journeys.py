"""Journeys: one browser session's workflows, in the order they started, and how it went:
where each failed (the errors that failed it, also of one that recovered) and the page
loads each holds."""

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from flowscope.analysis.workflows import workflows
from flowscope.models import ErrorLog, Severity, TraceStep, WorkflowSession

MAX_WORKFLOWS = 500
# Failures and page loads shown a workflow: the first ones (a retry loop can log thousands).
MAX_DETAILS = 5
FAILING = (Severity.ERROR, Severity.CRITICAL)  # what fails a workflow (a warning does not)
PAGE_LOAD = "page.navigation"  # the browser SDK's step for a page's load timings


def journey(journey_id):
    """``{"workflows", "truncated", "first_failure", "outcome", ...}`` of a journey, or None
    when none of its workflows has been recorded. Each workflow carries ``failures`` (the
    first errors that failed it) and ``page_loads`` (its page load steps)."""
    found = list(
        workflows().filter(journey_id=journey_id).order_by("started_at", "id")[: MAX_WORKFLOWS + 1]
    )
    if not found:
        return None
    kept = found[:MAX_WORKFLOWS]
    _add_details(kept)
    failed = next((w for w in kept if _ever_failed(w)), None)
    users = [w.user.get_username() for w in kept if w.user is not None]
    return {
        "journey_id": journey_id,
        "user": users[-1] if users else None,
        "started_at": kept[0].started_at,
        "last_activity_at": max(w.last_activity_at for w in kept),
        "outcome": kept[-1].status,  # where the person left off
        "first_failure": failed.correlation_id if failed else None,
        "workflows": kept,
        "truncated": len(found) > MAX_WORKFLOWS,
    }


def _add_details(kept):
    """Set ``failures`` and ``page_loads`` on each workflow: two queries for the journey."""
    ever_failed = [w.pk for w in kept if _ever_failed(w)]
    errors = ErrorLog.objects.filter(workflow_id__in=ever_failed, severity__in=FAILING)
    failures = _first_of_each(errors.select_related("step"), "created_at")
    steps = TraceStep.objects.filter(workflow_id__in=[w.pk for w in kept], name=PAGE_LOAD)
    page_loads = _first_of_each(steps.filter(layer="frontend"), "started_at")
    for workflow in kept:
        workflow.failures = failures.get(workflow.pk, [])
        workflow.page_loads = page_loads.get(workflow.pk, [])


def _ever_failed(workflow):
    """Failed, or failed before a retry completed it."""
    return workflow.status == WorkflowSession.Status.FAILED or workflow.failed_attempts > 0


def _first_of_each(rows, time_field):
    """``{workflow id: [row]}``: the first MAX_DETAILS rows of each workflow, in time order,
    in one query."""
    order = [F(time_field).asc(), F("id").asc()]
    ranked = rows.annotate(rank=Window(RowNumber(), partition_by=F("workflow_id"), order_by=order))
    grouped = {}
    for row in ranked.filter(rank__lte=MAX_DETAILS).order_by("workflow_id", *order):
        grouped.setdefault(row.workflow_id, []).append(row)
    return grouped
