"""Test helpers for projects that use flowscope (and for flowscope's own tests).

``capture_traces()`` collects what the middleware would queue, in memory, without a
database write or a background thread::

    with capture_traces() as traces:
        client.get("/api/v1/products/")
    assert traces[0].root.name == "GET /api/v1/products/"

``use_recorder(recorder)`` makes any recorder the process's one for a block: a real
``flowscope.recording.recorder.Recorder`` (a queue and a writer thread of its own, shut
down by the caller), or a stand-in with ``submit`` and ``snapshot``::

    with use_recorder(Recorder()) as recorder:
        client.get("/api/v1/products/")
        assert recorder.flush(10)
    recorder.shutdown()
"""

from contextlib import contextmanager

from flowscope.recording.recorder import set_recorder


class ListRecorder(list):
    """Stands in for the recorder: ``submit`` appends."""

    def submit(self, item):
        self.append(item)
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
def use_recorder(recorder):
    previous = set_recorder(recorder)
    try:
        yield recorder
    finally:
        set_recorder(previous)


@contextmanager
def capture_traces():
    with use_recorder(ListRecorder()) as collected:
        yield collected
