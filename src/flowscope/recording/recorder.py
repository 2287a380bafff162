"""The recorder: what requests hand over reaches the store off the request path.

Requests only ``submit`` (a non-blocking put on the ``Worker``'s bounded queue; dropped and
counted when full). In the worker's thread, each batch is shown to the jobs (rollups count
every request), written under the ``WritePolicy`` (one transaction, retries, record by
record when the batch keeps failing), and each commit is handed to the sinks: realtime's
live publisher is one (added by the app's ``ready()``). Then the jobs run: closed rollup
windows, process metrics, the idle-workflow sweep.

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
from flowscope.internal_errors import capture_internal_errors, internal_errors
from flowscope.recording import writer
from flowscope.recording.jobs import ProcessMetrics, Rollups, TimeoutSweep
from flowscope.recording.worker import Worker
from flowscope.recording.write_policy import WritePolicy
from flowscope.signals import batch_committed

logger = logging.getLogger("flowscope.recorder")

_sinks = []


def add_sink(sink):
    """Call ``sink(batch)`` with every committed ``writer.CommittedBatch``, in the
    recorder's thread, in the order added (idempotent). Keep it quick: the next batch
    waits for it. A failing sink is logged and counted, never raised into the writer."""
    if sink not in _sinks:
        _sinks.append(sink)


def remove_sink(sink):
    if sink in _sinks:
        _sinks.remove(sink)


class Recorder:
    def __init__(self):
        self.worker = Worker(
            self._handle, self._stopped, name="flowscope-recorder", on_fork=self._start_afresh
        )
        self._start_afresh()

    def _start_afresh(self):
        self.source = f"{socket.gethostname()}:{os.getpid()}"
        self.policy = WritePolicy(on_commit=self._committed)
        self.rollups = Rollups(self.source)
        self.jobs = (self.rollups, ProcessMetrics(self.source), TimeoutSweep())

    # --- what other threads call --------------------------------------------------------

    def submit(self, item):
        """Queue a finished trace, external spans or a standalone error; False if it had to
        be dropped."""
        return self.worker.put(item)

    def flush(self, timeout=5.0):
        """Wait until everything submitted so far is written (or dropped); False on timeout."""
        return self.worker.flush(timeout)

    def shutdown(self, timeout=5.0):
        """Write what is queued and the open rollup windows, then stop the thread."""
        self.worker.shutdown(timeout)

    def after_fork(self):
        self.worker.after_fork()

    def snapshot(self):
        """Counters for the health endpoint."""
        queue, writes = self.worker.snapshot(), self.policy.snapshot()
        return {
            "queued": queue["queued"],
            "written": writes["written"],
            "dropped": queue["dropped"] + writes["dropped"],
            "failed_batches": writes["failed_batches"],
            "retries": writes["retries"],
            "last_flush_at": writes["last_flush_at"],
            "queue_depth": queue["queue_depth"],
            "internal_errors": internal_errors.count,
            "late_rollup_observations": self.rollups.buffer.late,
            "writer_alive": queue["alive"],
        }

    # --- the worker's thread ------------------------------------------------------------

    def _handle(self, batch):
        for job in self.jobs:
            with capture_internal_errors():  # a bug in a job is logged; the writer goes on
                job.observe(batch)
        if batch:
            self.policy.write_batch(batch)
        for job in self.jobs:
            with capture_internal_errors():
                job.run(self.policy.write)

    def _committed(self, batch):
        for sink in list(_sinks):
            with capture_internal_errors():
                sink(batch)
        for receiver, result in batch_committed.send_robust(sender=Recorder, batch=batch):
            if isinstance(result, Exception):
                logger.error("batch_committed receiver %r failed: %r", receiver, result)

    def _stopped(self):
        try:
            for job in self.jobs:
                with capture_internal_errors():
                    job.finish(self.policy.write)
        finally:
            writer.close_connection()


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
