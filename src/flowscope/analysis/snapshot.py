"""The dashboard snapshot: everything the overview shows for a user's window, JSON-ready.
The REST view ``dashboard-data/`` answers it and the dashboard socket sends it on connect.
"""

import time

from flowscope.analysis import overview, windows
from flowscope.wire import WorkflowSerializer, json_ready

# Many dashboards connecting at once (a deploy, a network blip) share one snapshot: each
# costs a few dozen queries, and they would all compute the same thing.
SNAPSHOT_REUSE_SECONDS = 2.0
_recent = {}  # (configuration id, its last change, window) -> (monotonic time, snapshot)


def dashboard_snapshot(user, window_name=None, reuse=False):
    """The overview for ``window_name`` (else the user's default window), judged by the
    user's thresholds. ``reuse``: a snapshot of the same configuration and window built in
    the last SNAPSHOT_REUSE_SECONDS will do. An unknown window raises ``UnknownWindow``."""
    configuration = windows.default_configuration(user)
    name, since, until = windows.window(window_name, configuration)
    key = (
        configuration.pk if configuration else None,
        configuration.updated_at if configuration else None,
        name,
    )
    cached = _recent.get(key) if reuse else None
    if cached and time.monotonic() - cached[0] < SNAPSHOT_REUSE_SECONDS:
        return cached[1]
    snapshot = _build(name, since, until, configuration)
    _remember(key, snapshot)
    return snapshot


def _remember(key, snapshot):
    now = time.monotonic()
    for old in [k for k, (at, _) in _recent.items() if now - at >= SNAPSHOT_REUSE_SECONDS]:
        del _recent[old]
    _recent[key] = (now, snapshot)


def _build(name, since, until, configuration):
    data = overview.dashboard_data(since, until, windows.thresholds_for(configuration), name)
    data["active_workflows"] = WorkflowSerializer(data["active_workflows"], many=True).data
    return json_ready(data)
