"""The recorder: what requests hand over reaches the store off the request path.

Requests only ``submit`` (an append to the ``Worker``'s bounded queue; dropped and counted
when full). In the worker's thread each batch is prepared (``records.preparation``: the
work capture left for later) and handed to the pipeline of the ``TRANSPORT``: the
``StorePipeline``, which writes it ("thread"), or the ``StreamProducer``, which appends it
to the Redis stream for ``flowscope_writer`` processes ("redis").

At shutdown the recorder writes what it holds for up to ``SHUTDOWN_TIMEOUT`` seconds; the
rest is prepared and saved to the spool (``recording.spool``) and written by the next
recorder that starts. Every record it gives up is counted and logged (``Losses``).

One recorder a process (``get_recorder``); ``set_recorder`` swaps it, for tests and for
``flowscope.testing``. A forked child starts afresh and never writes what its parent had
queued.
"""

import atexit
import logging
import os
import socket
import threading

from flowscope import diagnostics
from flowscope.conf import flowscope_settings
from flowscope.diagnostics import Counters
from flowscope.internal_errors import capture_internal_errors, internal_errors
from flowscope.recording import spool
from flowscope.recording.losses import Losses
from flowscope.recording.store_pipeline import (
    StorePipeline,
    add_follow_up,
    add_sink,
    remove_follow_up,
    remove_sink,
)
from flowscope.recording.stream_producer import StreamProducer
from flowscope.recording.worker import Worker
from flowscope.records.preparation import prepare

__all__ = [
    "Recorder",
    "add_follow_up",
    "add_sink",
    "get_recorder",
    "remove_follow_up",
    "remove_sink",
    "set_recorder",
]

logger = logging.getLogger("flowscope.recorder")


class Recorder:
    def __init__(self):
        self.worker = Worker(
            self._handle,
            self._stopped,
            name="flowscope-recorder",
            on_fork=self._start_afresh,
            started=self._write_spooled,
        )
        self._start_afresh()

    def _start_afresh(self):
        self.source = f"{socket.gethostname()}:{os.getpid()}"
        self.losses = Losses()
        self.counts = Counters("refused", "spooled", "replayed")
        self.transport = flowscope_settings.TRANSPORT
        if self.transport == "redis":
            self.pipeline = StreamProducer(self.losses)
        else:
            self.pipeline = StorePipeline(self.source, self.losses)

    # --- what other threads call --------------------------------------------------------

    def submit(self, item):
        """Queue a finished trace, external spans or a standalone error; False if it had to
        be dropped (counted and logged)."""
        if self.worker.put(item):
            return True
        if self.worker.stopping:
            self.losses.add("shutdown", 1, "submitted after the recorder stopped")
        else:
            self.losses.add("queue_full", 1, f"QUEUE_SIZE is {flowscope_settings.QUEUE_SIZE}")
        return False

    def submit_all(self, items):
        """Queue all of ``items`` or none (False): for a sender that is told to retry, so
        that a refused request has stored nothing. Refusals are counted, not lost."""
        if self.worker.put_all(items):
            return True
        self.counts.add(refused=len(items))
        return False

    def start(self):
        """Start writing now (and write what an earlier process spooled), not at the first
        record: the ASGI lifespan startup calls it."""
        self.worker.start()

    def flush(self, timeout=5.0):
        """Wait until everything submitted so far is written (or dropped); False on timeout."""
        return self.worker.flush(timeout)

    def shutdown(self, timeout=None):
        """Write what is queued and the open rollup windows for up to ``timeout`` seconds
        (``SHUTDOWN_TIMEOUT``); spool what is left, count and log what cannot be kept."""
        if timeout is None:
            timeout = flowscope_settings.SHUTDOWN_TIMEOUT
        left, in_flight = self.worker.stop(timeout)
        if left:
            self._spool(left)
        if in_flight:
            self.losses.add("shutdown", in_flight, "still being written when the process ended")
        self.losses.log_pending()

    def after_fork(self):
        self.worker.after_fork()

    def snapshot(self):
        """Counters for the health endpoint."""
        queue, losses = self.worker.snapshot(), self.losses.snapshot()
        return {
            "transport": self.transport,
            "queued": queue["queued"],
            **self.pipeline.snapshot(),
            "dropped": sum(losses.values()),
            "dropped_by_reason": losses,
            **self.counts.snapshot(),
            "queue_depth": queue["queue_depth"],
            "internal_errors": internal_errors.count,
            "writer_alive": queue["alive"],
        }

    # --- the worker's thread ------------------------------------------------------------

    def _handle(self, batch):
        self.pipeline.handle(self._prepared(batch))

    def _prepared(self, batch):
        ready = []
        for record in batch:
            with capture_internal_errors():
                ready.append(prepare(record))
                continue
            self.losses.add("prepare_failed", 1)
        return ready

    def _write_spooled(self):
        """What an earlier process spooled at shutdown, written before anything new."""
        with capture_internal_errors():
            self._replay_spool()

    def _replay_spool(self):
        for path, records in spool.claim():
            size = flowscope_settings.BATCH_SIZE
            for start in range(0, len(records), size):
                self.pipeline.handle(records[start : start + size])
            spool.release(path)
            self.counts.add(replayed=len(records))
            logger.info("flowscope wrote %d records spooled at an earlier shutdown", len(records))

    def _spool(self, records):
        ready = self._prepared(records)
        try:
            path = spool.save(ready)
        except Exception as exc:
            self.losses.add("spool_failed", len(ready), str(exc), exc_info=exc)
            return
        self.counts.add(spooled=len(ready))
        logger.warning(
            "flowscope had no time to write %d records at shutdown: kept in %s, written at "
            "the next start",
            len(ready),
            path,
        )

    def _stopped(self):
        self.pipeline.finish()


_recorder = None
_recorder_lock = threading.Lock()


def get_recorder():
    """The process's recorder, created on first use."""
    global _recorder
    if _recorder is None:
        with _recorder_lock:
            if _recorder is None:
                _recorder = Recorder()
    return _recorder


def set_recorder(recorder):
    """Make ``recorder`` the process's recorder (None: a new one on next use); return the
    one it replaces. Anything with ``submit`` and ``snapshot`` will do."""
    global _recorder
    with _recorder_lock:
        previous, _recorder = _recorder, recorder
    return previous


def _after_fork_in_child():
    if isinstance(_recorder, Recorder):
        _recorder.after_fork()


def _shutdown_at_exit():
    if isinstance(_recorder, Recorder):
        _recorder.shutdown()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_shutdown_at_exit)


diagnostics.register("recorder", lambda: get_recorder().snapshot())
