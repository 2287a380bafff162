"""A bounded queue and one background thread that hands what was queued to a handler, in
batches. It knows nothing of what it carries.

``put`` never blocks and never wakes the thread: it appends to a deque (atomic under the
interpreter lock), or refuses when the deque is full. The thread wakes on its own every
``FLUSH_INTERVAL`` (which bounds how late a live dashboard sees a request), or as soon as a
``BATCH_SIZE`` of items is waiting, and then handles what is queued, a batch at a time.
A request never pays for waking the writer, and under load
batches stay large: what came in while a batch was written waits for the next tick. When
nothing is queued the handler gets an empty batch, so that periodic work still runs.

Fork safety: in a child process the first ``put`` (or ``after_fork``) starts afresh with
an empty queue and no thread; the child never handles what its parent had queued.
"""

import os
import threading
import time
from collections import deque

from flowscope.conf import flowscope_settings
from flowscope.recording.commit_gate import CommitGate, GaveUp

STOPPING_BATCH_SIZE = 100
# How long shutdown waits, once its time is up, for a commit already under way.
COMMIT_WAIT_SECONDS = 1.0


class Worker:
    def __init__(self, handle, stopped, name, on_fork=None, started=None):
        """``handle(batch)`` runs for each batch, ``started()`` once when the thread starts
        and ``stopped()`` once when it ends, ``on_fork()`` when a child process starts
        afresh."""
        self._handle, self._stopped, self._on_fork = handle, stopped, on_fork
        self._started = started
        self.name = name
        self._start_afresh()

    def _start_afresh(self):
        self.pid = os.getpid()
        self._start_lock = threading.Lock()  # a parent's thread may have held the old one
        self._items = deque()
        self._limit = flowscope_settings.QUEUE_SIZE
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._handled = 0  # items handed to the handler so far (written, or dropped by it)
        self._in_flight = 0
        self._gate = CommitGate()
        self._stopping = self._halted = self._flushing = False
        self._running = False  # the thread is there and takes batches
        self._thread = None

    def after_fork(self):
        self._start_afresh()
        if self._on_fork is not None:
            self._on_fork()

    # --- the producing side -------------------------------------------------------------

    def put(self, item):
        """Queue ``item``; False if the queue is full (or stopped) and it was not taken."""
        if not self._running and not self._start():
            return False
        items = self._items
        if len(items) >= self._limit:
            return False
        items.append(item)
        if len(items) >= flowscope_settings.BATCH_SIZE:
            self._wake.set()
        return True

    def put_all(self, new_items):
        """Queue every one of ``new_items``, or none of them (False) when they do not all
        fit. Several producers may race for the last places: the bound is then passed by
        at most one request's worth, never by more."""
        if not self._running and not self._start():
            return False
        if len(self._items) + len(new_items) > self._limit:
            return False
        self._items.extend(new_items)
        if len(self._items) >= flowscope_settings.BATCH_SIZE:
            self._wake.set()
        return True

    def snapshot(self):
        """Items taken so far, the queue's depth, whether the thread runs."""
        depth = len(self._items)
        return {
            "queued": self._handled + self._in_flight + depth,
            "queue_depth": depth,
            "alive": self.is_alive(),
        }

    @property
    def stopping(self):
        return self._stopping

    def is_alive(self):
        return self._thread is not None and self._thread.is_alive()

    def start(self):
        """Start the thread now rather than at the first ``put``."""
        return self._running or self._start()

    def _start(self):
        """Start the thread (after a fork: afresh); False once the worker was stopped."""
        if self.pid != os.getpid():  # forked without the at-fork hook having run
            self.after_fork()
        with self._start_lock:
            if self._stopping:
                return False
            if not self.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._running = True
                self._thread.start()
        return True

    # --- waiting for the thread ---------------------------------------------------------

    def flush(self, timeout=5.0):
        """Wait until everything queued so far is handled; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._done:
            target = self._handled + self._in_flight + len(self._items)
            self._flushing = True
            self._wake.set()
            while self._handled < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.is_alive():
                    return False
                self._done.wait(min(remaining, 0.1))
        return True

    def stop(self, timeout):
        """Handle what is queued and end the thread, within ``timeout`` seconds: batches are
        handled for three quarters of it; the rest is left for the batch then in hand.
        Returns the items there was no time for (taken out of the queue, for the caller to
        keep) and how many were still being handled when time ran out."""
        self._stopping = True
        if self.pid != os.getpid() or not self.is_alive():
            return self._take_all(), 0
        self._wake.set()
        self._thread.join(timeout * 0.75)
        if not self._thread.is_alive():
            return [], 0
        self._halted = True  # no batch after the one in hand
        left = self._take_all()
        self._thread.join(timeout * 0.25)
        if not self._thread.is_alive():
            return left, 0
        return left, self._gate.close(COMMIT_WAIT_SECONDS)

    def _take_all(self):
        return self._take(len(self._items) + self._limit)

    def _take(self, count):
        """Up to ``count`` items from the front (another thread may be taking too)."""
        taken = []
        try:
            for _ in range(count):
                taken.append(self._items.popleft())
        except IndexError:
            pass
        return taken

    # --- the thread ---------------------------------------------------------------------

    def _run(self):
        self._gate.install()
        try:
            if self._started is not None:
                self._started()
            while not self._halted:
                self._wake.wait(flowscope_settings.FLUSH_INTERVAL)
                self._wake.clear()
                self._handle_queued()
                if self._stopping and not self._items:
                    break
        except GaveUp:
            pass  # shutdown stopped waiting and counted the batch in hand as lost
        finally:
            self._running = False
            self._stopped()

    def _handle_queued(self):
        """What waited for this wake-up, a batch at a time (an empty batch when nothing
        did). What comes in meanwhile waits for the next one, unless it fills a batch or
        the worker is stopping or flushing: taken at once, such stragglers would make
        every batch that small."""
        due = len(self._items)
        while not self._halted:
            # Once stopping, small batches: the one in hand when time runs out is small.
            size = STOPPING_BATCH_SIZE if self._stopping else flowscope_settings.BATCH_SIZE
            batch = self._take(size)
            due -= len(batch)
            self._in_flight = len(batch)
            self._gate.took(len(batch))
            try:
                self._handle(batch)
            finally:
                with self._done:
                    self._handled += len(batch)
                    self._in_flight = 0
                    self._done.notify_all()
            waiting = len(self._items)
            if not waiting:
                self._flushing = False
                return
            urgent = self._stopping or self._flushing
            if due <= 0 and waiting < flowscope_settings.BATCH_SIZE and not urgent:
                return
