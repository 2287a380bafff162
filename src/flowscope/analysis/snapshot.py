"""The dashboard snapshot: everything the overview shows for a user's window, JSON-ready.
The REST view ``dashboard-data/`` answers it and the dashboard socket sends it on connect.
"""

import threading
import time

from flowscope.analysis import overview, windows
from flowscope.wire import WorkflowSerializer, json_ready

# Many dashboards connecting at once (a deploy, a network blip) share one snapshot: each
# costs a few dozen queries, and they would all compute the same thing.
SNAPSHOT_REUSE_SECONDS = 2.0
_recent = {}  # (configuration id, its last change, window) -> (monotonic time, snapshot)
_recent_lock = threading.Lock()  # request threads and the sockets' worker threads share it


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
    if reuse and (cached := _reusable(key)) is not None:
        return cached
    snapshot = _build(name, since, until, configuration)
    _remember(key, snapshot)
    return snapshot


def _reusable(key):
    with _recent_lock:
        built_at, snapshot = _recent.get(key, (None, None))
    if built_at is not None and time.monotonic() - built_at < SNAPSHOT_REUSE_SECONDS:
        return snapshot
    return None


def _remember(key, snapshot):
    now = time.monotonic()
    with _recent_lock:
        for old in [k for k, (at, _) in _recent.items() if now - at >= SNAPSHOT_REUSE_SECONDS]:
            del _recent[old]
        _recent[key] = (now, snapshot)


def forget_snapshots():
    """Drop every kept snapshot (tests: each starts without another's data)."""
    with _recent_lock:
        _recent.clear()


def _build(name, since, until, configuration):
    data = overview.dashboard_data(since, until, windows.thresholds_for(configuration), name)
    data["active_workflows"] = WorkflowSerializer(data["active_workflows"], many=True).data
    return json_ready(data)
