"""The replays of a workflow: the workflows a replay traced, each naming the one it
replayed (``metadata.replay_of``) and who asked for it (``metadata.replayed_by``).

A replay is kept as the workflow it traced, not as a row of its own: its diff is read from
the two workflows' steps, so a replay whose trace was pruned could not be shown again
anyway, and the history goes with it. A replay runs after its original started, which
bounds the search to the original's type and time on (both indexed) before the metadata is
read.
"""

from flowscope.analysis import diff, workflows
from flowscope.models import WorkflowSession

MAX_LISTED = 50


def of(original, limit=MAX_LISTED):
    """The latest ``limit`` replays of ``original``, newest first."""
    return list(
        workflows.workflows()
        .filter(
            workflow_type=original.workflow_type,
            started_at__gte=original.started_at,
            metadata__replay_of=original.correlation_id,
        )
        .order_by("-started_at", "-id")[:limit]
    )


def count(original):
    return WorkflowSession.objects.filter(
        workflow_type=original.workflow_type,
        started_at__gte=original.started_at,
        metadata__replay_of=original.correlation_id,
    ).count()


def replayed_by(replay):
    """The name of the dashboard user who ran the replay ("" when unknown)."""
    return replay.metadata.get("replayed_by") or ""


def latest_diff(original):
    """``(replay, diff)`` of the latest replay of ``original``, or ``(None, None)``."""
    found = of(original, limit=1)
    if not found:
        return None, None
    replay = found[0]
    result = diff.diff(original, workflows.steps_of(original), replay, workflows.steps_of(replay))
    return replay, result
