"""Test helpers for projects that use flowscope (and for flowscope's own tests).

``capture_traces()`` collects what the middleware would queue, in memory, without a
database write or a background thread::

    with capture_traces() as traces:
        client.get("/api/v1/products/")
    assert traces[0].root.name == "GET /api/v1/products/"

``use_recorder()`` puts a real recorder (a queue and a writer thread of its own) in place
for a block, and shuts it down after it, having written what it holds; use it with a
database that the writer's thread sees (pytest-django's ``transactional_db``)::

    with use_recorder() as recorder:
        client.get("/api/v1/products/")
        assert recorder.flush(10)

``use_recorder(recorder)`` makes a recorder of one's own (or a stand-in with ``submit``
and ``snapshot``) the process's one for the block; shutting it down is then the caller's.
"""

from contextlib import contextmanager

from flowscope.recording.recorder import Recorder, set_recorder
from flowscope.records.preparation import prepare

SHUTDOWN_SECONDS = 60


class ListRecorder(list):
    """Stands in for the recorder: ``submit`` appends the record as it would be stored."""

    def submit(self, item):
        self.append(prepare(item))
        return True

    def submit_all(self, items):
        self.extend(prepare(item) for item in items)
        return True

    def snapshot(self):
        """The recorder's counters, as the health endpoint reads them."""
        return {
            "queued": len(self),
            "written": 0,
            "dropped": 0,
            "failed_batches": 0,
            "retries": 0,
            "last_flush_at": None,
            "queue_depth": 0,
            "writer_alive": True,
        }


@contextmanager
def use_recorder(recorder=None):
    own = recorder is None
    recorder = Recorder() if own else recorder
    previous = set_recorder(recorder)
    try:
        yield recorder
    finally:
        set_recorder(previous)
        if own:
            recorder.shutdown(SHUTDOWN_SECONDS)


@contextmanager
def capture_traces():
    with use_recorder(ListRecorder()) as collected:
        yield collected
