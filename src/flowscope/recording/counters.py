"""Counters bumped by one thread and read by another (the health endpoint)."""

import threading


class Counters:
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
