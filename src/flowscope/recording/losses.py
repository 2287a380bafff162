"""Every record flowscope had to give up, counted by reason and logged with its number.

A host is never slowed to keep a record: when the queue is full, the store keeps failing,
shutdown runs out of time or the stream cannot be reached, the record is dropped. Nothing
is dropped silently: the health endpoint shows the counts, and the log says how many and
why, at most once per ``LOG_EVERY_SECONDS`` and reason (a full queue drops thousands a
second; one line says how many).
"""

import logging
import threading
import time

from flowscope.diagnostics import Counters
from flowscope.recording import commit_gate

logger = logging.getLogger("flowscope.recorder")

REASONS = (
    "queue_full",  # the recorder's queue was at QUEUE_SIZE
    "prepare_failed",  # flowscope's own code failed on the record
    "write_failed",  # the store refused it through every retry
    "shutdown",  # the process ended while the record was being written
    "spool_failed",  # it could not be kept on disk at shutdown, nor read back
    "stream_full",  # the Redis stream was at STREAM_MAX_LENGTH
    "stream_unavailable",  # Redis could not be reached
    "undecodable",  # a stream entry a writer could not decode (acknowledged, not retried)
)
LOG_EVERY_SECONDS = 10.0


class Losses:
    def __init__(self):
        self.counts = Counters(*REASONS)
        self._lock = threading.Lock()
        self._unlogged = dict.fromkeys(REASONS, 0)
        self._logged_at = dict.fromkeys(REASONS, float("-inf"))

    def add(self, reason, count, detail="", exc_info=None, now=None):
        """Count ``count`` records lost for ``reason``; log it unless this reason was
        logged less than ``LOG_EVERY_SECONDS`` ago (then the next line includes it)."""
        if count <= 0:
            return
        commit_gate.current().settle(count)  # the writer's own losses: shutdown won't recount
        self.counts.add(**{reason: count})
        now = time.monotonic() if now is None else now
        with self._lock:
            self._unlogged[reason] += count
            if now - self._logged_at[reason] < LOG_EVERY_SECONDS:
                return
            count, self._unlogged[reason] = self._unlogged[reason], 0
            self._logged_at[reason] = now
        total = self.counts.snapshot()[reason]
        logger.error(
            "flowscope lost %d records (%s%s); %d lost for this reason since start",
            count,
            reason.replace("_", " "),
            f": {detail}" if detail else "",
            total,
            exc_info=exc_info,
        )

    def log_pending(self):
        """Log what was counted but not yet logged (at shutdown: the last word)."""
        with self._lock:
            pending = {reason: n for reason, n in self._unlogged.items() if n}
            for reason in pending:
                self._unlogged[reason] = 0
        totals = self.counts.snapshot()
        for reason, count in pending.items():
            logger.error(
                "flowscope lost %d records (%s); %d lost for this reason since start",
                count,
                reason.replace("_", " "),
                totals[reason],
            )

    def snapshot(self):
        return self.counts.snapshot()

    @property
    def total(self):
        return sum(self.snapshot().values())
