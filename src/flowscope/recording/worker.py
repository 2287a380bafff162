"""A bounded queue and one background thread that hands what was queued to a handler, in
batches. It knows nothing of what it carries.

``put`` never blocks: when the queue is full the item is dropped and counted. The thread
takes a batch at once when it has been idle for a ``FLUSH_INTERVAL``, so that a lone item
is handled within milliseconds; right after a batch it gathers for up to ``FLUSH_INTERVAL``
(or ``BATCH_SIZE`` items), so that under load batches stay as few as with a fixed delay.
When nothing arrives for a ``FLUSH_INTERVAL`` the handler is called with an empty batch,
so that periodic work still runs on an idle process.

Fork safety: in a child process the first ``put`` (or ``after_fork``) starts afresh with
an empty queue and no thread; the child never handles what its parent had queued.
"""

import contextlib
import os
import queue
import threading
import time

from flowscope.conf import flowscope_settings
from flowscope.diagnostics import Counters

# Put by ``shutdown``: wakes the thread at once instead of at the end of a gathering wait.
_WAKE_UP = object()


class Worker:
    def __init__(self, handle, stopped, name, on_fork=None):
        """``handle(batch)`` runs for each batch, ``stopped()`` once when the thread ends,
        ``on_fork()`` when a child process starts afresh."""
        self._handle, self._stopped, self._on_fork = handle, stopped, on_fork
        self.name = name
        self._start_afresh()

    def _start_afresh(self):
        self.pid = os.getpid()
        self._start_lock = threading.Lock()  # a parent's thread may have held the old one
        self._queue = queue.Queue(maxsize=flowscope_settings.QUEUE_SIZE)
        self._counts = Counters("queued", "dropped")
        self._stopping = threading.Event()
        self._thread = None
        self._last_batch_at = 0.0

    def after_fork(self):
        self._start_afresh()
        if self._on_fork is not None:
            self._on_fork()

    # --- the producing side -------------------------------------------------------------

    def put(self, item):
        """Queue ``item``; False if the queue was full and it was dropped (counted)."""
        if self.pid != os.getpid():  # forked without the at-fork hook having run
            self.after_fork()
        self._ensure_started()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._counts.add(dropped=1)
            return False
        self._counts.add(queued=1)
        return True

    def snapshot(self):
        """Items queued and dropped so far, the queue's depth, whether the thread runs."""
        counts = self._counts.snapshot()
        return {**counts, "queue_depth": self._queue.qsize(), "alive": self.is_alive()}

    def is_alive(self):
        return self._thread is not None and self._thread.is_alive()

    def _ensure_started(self):
        if self.is_alive():
            return
        with self._start_lock:
            if not self.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    # --- waiting for the thread ---------------------------------------------------------

    def flush(self, timeout=5.0):
        """Wait until everything queued so far is handled; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.is_alive():
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def shutdown(self, timeout=5.0):
        """Handle what is queued, run ``stopped``, and end the thread (waiting up to
        ``timeout``)."""
        if self.pid != os.getpid() or not self.is_alive():
            return
        self._stopping.set()
        # A full queue keeps the thread busy anyway: it sees the stop after this batch.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_WAKE_UP)
        self._thread.join(timeout)

    # --- the thread ---------------------------------------------------------------------

    def _run(self):
        try:
            while not (self._stopping.is_set() and self._queue.empty()):
                batch = self._take_batch()
                try:
                    self._handle(batch)
                finally:
                    if batch:
                        self._last_batch_at = time.monotonic()
                    for _ in batch:
                        self._queue.task_done()
        finally:
            self._stopped()

    def _take_batch(self):
        interval = flowscope_settings.FLUSH_INTERVAL
        first = self._next(timeout=interval)
        if first is None:
            return []
        batch, deadline = [first], self._last_batch_at + interval
        while len(batch) < flowscope_settings.BATCH_SIZE:
            item = self._next(timeout=deadline - time.monotonic())
            if item is None:
                break
            batch.append(item)
        return batch

    def _next(self, timeout):
        """The next item, or None when none came in time (or shutdown woke the thread)."""
        try:
            item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None
        if item is _WAKE_UP:
            self._queue.task_done()
            return None
        return item
