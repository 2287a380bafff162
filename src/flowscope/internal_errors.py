"""Flowscope never breaks the host app: failures inside capture are logged and counted.

With ``FLOWSCOPE["RAISE_INTERNAL_ERRORS"]`` (the test suite sets it) they raise instead, so
a bug in capture fails a test rather than hiding.
"""

import logging
import threading
from contextlib import contextmanager

from flowscope.conf import flowscope_settings

logger = logging.getLogger("flowscope.capture")


class InternalErrorCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self.count = 0

    def increment(self):
        with self._lock:
            self.count += 1


internal_errors = InternalErrorCounter()


@contextmanager
def capture_internal_errors():
    try:
        yield
    except Exception:
        internal_errors.increment()
        if flowscope_settings.RAISE_INTERNAL_ERRORS:
            raise
        logger.exception("flowscope capture failed; the request goes on untraced in part")
