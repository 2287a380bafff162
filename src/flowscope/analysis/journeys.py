"""Journeys: one browser session's workflows, in the order they started, and how it went."""

from flowscope.analysis.workflows import workflows
from flowscope.models import WorkflowSession

MAX_WORKFLOWS = 500


def journey(journey_id):
    """``{"workflows", "truncated", "first_failure", "outcome", ...}`` of a journey, or None
    when none of its workflows has been recorded."""
    found = list(
        workflows().filter(journey_id=journey_id).order_by("started_at", "id")[: MAX_WORKFLOWS + 1]
    )
    if not found:
        return None
    kept = found[:MAX_WORKFLOWS]
    failed = next((w for w in kept if w.status == WorkflowSession.Status.FAILED), None)
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
