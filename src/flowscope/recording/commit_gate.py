"""Shutdown's agreement with the writer thread about the batch in its hands.

When shutdown stops waiting, each record of that batch must be either stored or counted as
lost, never both: a batch counted lost and then committed by the thread in the process's
last moments would be counted twice. The thread's gate counts the records it took and has
not yet accounted for (committed, or counted lost by the thread itself). A commit happens
only through the gate, under its lock; shutdown closes the gate (waiting for a commit in
progress) and counts what is still unaccounted as lost: any later commit rolls back.

A thread without a gate (a ``flowscope_writer``, a test) commits freely.
"""

import contextlib
import threading

_current = threading.local()


class GaveUp(Exception):
    """Shutdown counted this transaction's records as lost: it must not commit."""


class CommitGate:
    def __init__(self):
        self._lock = threading.Lock()
        self._closed = False
        self.unaccounted = 0

    def install(self):
        """Make this the gate of the calling thread's commits."""
        _current.gate = self

    def took(self, count):
        self.unaccounted = count

    def settle(self, count):
        self.unaccounted = max(self.unaccounted - count, 0)

    @contextlib.contextmanager
    def commit(self, count):
        """Around a transaction of ``count`` records, entered before it begins: the COMMIT
        at its end happens under the lock, or not at all once the gate is closed."""
        held = False

        def claim():
            nonlocal held
            self._lock.acquire()
            held = True
            if self._closed:
                raise GaveUp

        try:
            yield claim
            self.settle(count)
        finally:
            if held:
                self._lock.release()

    def close(self, wait):
        """No commit after this one; how many records are left unaccounted (for the caller to
        count as lost). Waits up to ``wait`` seconds for a commit in progress."""
        acquired = self._lock.acquire(timeout=wait)
        self._closed = True
        if acquired:
            self._lock.release()
        return self.unaccounted


class _Open:
    """The gate of a thread that has none: commits always go through."""

    unaccounted = 0

    def settle(self, count):
        pass

    @contextlib.contextmanager
    def commit(self, count):
        yield lambda: None


_OPEN = _Open()


def current():
    return getattr(_current, "gate", _OPEN)
