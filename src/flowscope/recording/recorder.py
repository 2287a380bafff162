"""The recorder: a bounded in-process queue and one background writer thread.

Requests only ``submit`` (a non-blocking put); when the queue is full the item is dropped and
counted, never waited for. The writer takes batches (at once when it was idle; under load,
what arrived within ``FLUSH_INTERVAL`` of the previous write, up to ``BATCH_SIZE``), writes
each in one transaction, retries a failing store with backoff and then drops the batch
(counted, logged), and sends ``batch_committed`` after each commit. Between batches it
writes the performance rollups of closed windows, samples process metrics and times out
idle workflows.

Fork safety: a child process gets a fresh queue and starts its own writer on first use; it
never writes what its parent had queued.
"""

import atexit
import functools
import logging
import os
import queue
import socket
import threading
import time
from dataclasses import asdict, dataclass

from flowscope.conf import flowscope_settings
from flowscope.internal_errors import capture_internal_errors, internal_errors
from flowscope.recording import writer
from flowscope.recording.process_metrics import ProcessSampler
from flowscope.recording.rollups import RollupBuffer
from flowscope.records.trace import ExternalSpans, Trace, now
from flowscope.signals import batch_committed, recorder_tick

logger = logging.getLogger("flowscope.recorder")

TIMEOUT_SWEEP_SECONDS = 30
BACKOFF_SECONDS = 0.2


@dataclass
class RecorderStats:
    queued: int = 0
    written: int = 0
    dropped: int = 0
    failed_batches: int = 0
    retries: int = 0
    last_flush_at: str | None = None


class Recorder:
    def __init__(self):
        self._reset()

    def _reset(self):
        self.pid = os.getpid()
        self.source = f"{socket.gethostname()}:{self.pid}"
        self.queue = queue.Queue(maxsize=flowscope_settings.QUEUE_SIZE)
        self.stats = RecorderStats()
        self._stats_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = None
        self._rollups = RollupBuffer(self.source)
        self._sampler = None
        self._last_failure = None
        self._next_sample = self._next_sweep = 0.0
        self._last_write_at = 0.0

    # --- the request side -------------------------------------------------------------

    def submit(self, item):
        """Queue a finished trace or a standalone error; False if it had to be dropped."""
        if self.pid != os.getpid():  # forked without the at-fork hook having run
            self._reset()
        self._ensure_started()
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            self._count(dropped=1)
            return False
        self._count(queued=1)
        return True

    def _count(self, **increments):
        with self._stats_lock:
            for name, amount in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + amount)

    def snapshot(self):
        """Counters for the health endpoint."""
        with self._stats_lock:
            data = asdict(self.stats)
        data["queue_depth"] = self.queue.qsize()
        data["internal_errors"] = internal_errors.count
        data["late_rollup_observations"] = self._rollups.late
        data["writer_alive"] = bool(self._thread and self._thread.is_alive())
        return data

    def _ensure_started(self):
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(
                    target=self._run, name="flowscope-recorder", daemon=True
                )
                self._thread.start()

    # --- waiting for the writer ---------------------------------------------------------

    def flush(self, timeout=5.0):
        """Wait until everything queued so far is written (or dropped); False on timeout."""
        deadline = time.monotonic() + timeout
        with self.queue.all_tasks_done:
            while self.queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._thread is None or not self._thread.is_alive()):
                    return False
                self.queue.all_tasks_done.wait(remaining)
        return True

    def shutdown(self, timeout=5.0):
        """Write what is queued and the open rollup windows, then stop the writer."""
        if self.pid != os.getpid() or self._thread is None:
            return
        self._stopping.set()
        self._thread.join(timeout)

    # --- the writer thread --------------------------------------------------------------

    def _run(self):
        try:
            while not (self._stopping.is_set() and self.queue.empty()):
                batch = self._take_batch()
                try:
                    self._process(batch)
                finally:
                    if batch:
                        self._last_write_at = time.monotonic()
                    for _ in batch:
                        self.queue.task_done()
            self._write_snapshots(self._rollups.take_all())
        finally:
            writer.close_connection()

    def _process(self, batch):
        # A bug in rollups or periodic work is logged and counted; the writer goes on.
        with capture_internal_errors():
            self._add_to_rollups(batch)
        if batch:
            self._write_batch(batch)
        with capture_internal_errors():
            self._periodic()

    def _add_to_rollups(self, batch):
        """Rollups count every request served and every span ingested, stored or not."""
        for item in batch:
            if isinstance(item, Trace):
                self._rollups.add(item)
            elif isinstance(item, ExternalSpans):
                self._rollups.add_external(item)

    def _take_batch(self):
        """The next batch: written at once when the writer has been idle for a
        FLUSH_INTERVAL (a live view sees a lone request within milliseconds), else
        gathered until FLUSH_INTERVAL after the previous write or BATCH_SIZE items, so that
        under load writes stay as few as they were with a fixed delay."""
        interval = flowscope_settings.FLUSH_INTERVAL
        try:
            batch = [self.queue.get(timeout=interval)]
        except queue.Empty:
            return []
        deadline = self._last_write_at + interval
        while len(batch) < flowscope_settings.BATCH_SIZE:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self.queue.get(timeout=remaining) if remaining > 0 else self.queue.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def _attempt(self, action, retries):
        """Run ``action`` (one transaction), retrying with backoff; the committed batch, or
        None once the last attempt failed (its exception kept for the log)."""
        for attempt in range(retries + 1):
            try:
                return action()
            except Exception as exc:
                writer.close_connection()  # the next attempt gets a fresh connection
                self._last_failure = exc
                if attempt < retries:
                    self._count(retries=1)
                    time.sleep(BACKOFF_SECONDS * 2**attempt)
        return None

    def _write(self, action, item_count=0):
        """Write with retries; on final failure drop what it held, count and log."""
        committed = self._attempt(action, flowscope_settings.WRITE_RETRIES)
        if committed is None:
            self._count(failed_batches=1, dropped=item_count)
            logger.error(
                "flowscope dropped a write of %d items", item_count, exc_info=self._last_failure
            )
            return
        self._after_commit(committed, item_count)

    def _write_batch(self, batch):
        """A batch that keeps failing is written again one record at a time, once each, so
        that one bad record (a value the database refuses) costs only itself."""
        if len(batch) == 1:
            self._write(functools.partial(writer.write, batch), 1)
            return
        committed = self._attempt(
            functools.partial(writer.write, batch), flowscope_settings.WRITE_RETRIES
        )
        if committed is not None:
            self._after_commit(committed, len(batch))
            return
        lost = 0
        for item in batch:
            committed = self._attempt(functools.partial(writer.write, [item]), 0)
            if committed is None:
                lost += 1
            else:
                self._after_commit(committed, 1)
        self._count(failed_batches=1, dropped=lost)
        logger.error(
            "flowscope dropped %d of a batch of %d",
            lost,
            len(batch),
            exc_info=self._last_failure if lost else None,
        )

    def _after_commit(self, committed, item_count):
        with self._stats_lock:
            self.stats.written += item_count
            self.stats.last_flush_at = now().isoformat()
        if committed:
            for receiver, result in batch_committed.send_robust(sender=Recorder, batch=committed):
                if isinstance(result, Exception):
                    logger.error("batch_committed receiver %r failed: %r", receiver, result)

    def _periodic(self):
        clock = time.monotonic()
        self._write_snapshots(self._rollups.take_closed(now()))
        interval = flowscope_settings.PROCESS_METRICS_INTERVAL
        if interval and clock >= self._next_sample:
            self._next_sample = clock + interval
            self._sampler = self._sampler or ProcessSampler(self.source)
            self._write_snapshots(self._sampler.sample(now(), interval))
        if clock >= self._next_sweep:
            self._next_sweep = clock + TIMEOUT_SWEEP_SECONDS
            timeout = flowscope_settings.WORKFLOW_TIMEOUT_SECONDS
            self._write(functools.partial(writer.time_out_idle_workflows, now(), timeout))
        for receiver, result in recorder_tick.send_robust(sender=Recorder, now=now()):
            if isinstance(result, Exception):
                logger.error("recorder_tick receiver %r failed: %r", receiver, result)

    def _write_snapshots(self, snapshots):
        if snapshots:
            self._write(functools.partial(writer.write_snapshots, snapshots))


_recorder = None
_recorder_lock = threading.Lock()


def get_recorder():
    """The process's recorder, created on first use."""
    global _recorder
    if _recorder is None:
        with _recorder_lock:
            if _recorder is None:
                _recorder = Recorder()
                os.register_at_fork(after_in_child=_recorder._reset)
                atexit.register(_recorder.shutdown)
    return _recorder
