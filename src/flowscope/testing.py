"""Test helpers for projects that use flowscope (and for flowscope's own tests).

``capture_traces()`` collects what the middleware would queue, in memory, without a
database write or a background thread::

    with capture_traces() as traces:
        client.get("/api/v1/products/")
    assert traces[0].root.name == "GET /api/v1/products/"
"""

from contextlib import contextmanager

from flowscope.recording import recorder as recorder_module


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
def capture_traces():
    previous = recorder_module._recorder
    collected = ListRecorder()
    recorder_module._recorder = collected
    try:
        yield collected
    finally:
        recorder_module._recorder = previous
