"""What changed since a moment: the workflows, errors and alerts stored since, and the
system's health now. What ``dashboard-data/realtime_updates/`` answers to clients that poll
instead of holding a socket."""

from datetime import timedelta

from flowscope.analysis import errors, health, workflows
from flowscope.conf import flowscope_settings
from flowscope.models import PerformanceSnapshot

CHANGES_LIMIT = 100
HEALTH_WINDOW = timedelta(minutes=15)


def clamped(since, now):
    """``(since, clamped)``: no further back than REALTIME_MAX_LOOKBACK_SECONDS."""
    oldest = now - timedelta(seconds=flowscope_settings.REALTIME_MAX_LOOKBACK_SECONDS)
    return (oldest, True) if since < oldest else (since, False)


def changes_since(since, now, thresholds):
    """The latest CHANGES_LIMIT of each kind, newest first, and the last 15 minutes'
    health by ``thresholds``."""
    overall, layers = health.layer_health(now - HEALTH_WINDOW, now, thresholds)
    return {
        "workflows": workflows.changed_since(since, CHANGES_LIMIT),
        "errors": errors.recorded_since(since, CHANGES_LIMIT),
        "alerts": list(
            PerformanceSnapshot.objects.filter(is_alert=True, recorded_at__gte=since).order_by(
                "-recorded_at"
            )[:CHANGES_LIMIT]
        ),
        "system_health": {"overall_status": overall, "layers": layers},
    }
