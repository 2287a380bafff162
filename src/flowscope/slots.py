"""At most so many of one kind of work at once in this process, the number a setting.

Work that holds a server thread for long (a manual test run, a large report) takes a slot
first and is refused at once when none is free, rather than queued: it can never take all
of the threads the host's own requests need. The semaphore is made again when the setting
changes (``override_settings`` in tests); slots taken before stay with the old one.
"""

import threading

from flowscope.conf import flowscope_settings


class NoSlotFree(Exception):
    """Every slot is taken; ``limit`` is how many there are, ``setting`` says where."""

    def __init__(self, setting, limit):
        super().__init__(f"{limit} are in progress ({setting}).")
        self.setting, self.limit = setting, limit


class Slots:
    def __init__(self, setting):
        self.setting = setting
        self._lock = threading.Lock()
        self._size, self._semaphore = None, None

    def acquire(self):
        """A slot: the semaphore to release when the work ends; ``NoSlotFree`` if none."""
        with self._lock:
            size = getattr(flowscope_settings, self.setting)
            if size != self._size:
                self._size, self._semaphore = size, threading.BoundedSemaphore(size)
            semaphore = self._semaphore
        if not semaphore.acquire(blocking=False):
            raise NoSlotFree(self.setting, size)
        return semaphore
