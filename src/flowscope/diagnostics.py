"""Counters of flowscope's own parts, read from memory by the health endpoint.

A part keeps its counters in a ``Counters`` and registers a function that returns them; the
health view reads them by name without importing the part (the API and the sockets stand
side by side), and without the database, so they can be read while the store is down.
"""

import threading

_readers = {}


class Counters:
    """Named counts bumped by one thread and read by another."""

    def __init__(self, *names):
        self._lock = threading.Lock()
        self._values = dict.fromkeys(names, 0)

    def add(self, **amounts):
        with self._lock:
            for name, amount in amounts.items():
                self._values[name] += amount

    def snapshot(self):
        with self._lock:
            return dict(self._values)


def register(name, read):
    """``read()`` returns a dict of counters; registering a name again replaces it."""
    _readers[name] = read


def read(name):
    """The counters registered as ``name``, or None when that part is not loaded."""
    reader = _readers.get(name)
    return reader() if reader is not None else None
