"""How writes reach the store: one transaction each, retried with exponential backoff when
the store fails, then dropped, counted and logged (``recording.losses``). A batch that keeps
failing is written again one record at a time, once each, so that one bad record (a value
the database refuses) costs only itself. Each commit is handed to ``on_commit``.

A caller that can keep a batch and offer it again (a ``flowscope_writer``, whose batches
stay in the Redis stream until acknowledged) asks ``keep_when_down``: then a batch that
failed while the store does not answer raises ``StoreUnavailable`` instead of being
dropped, and only records a working store refuses are dropped.
"""

import functools
import logging
import time

from django.db import connection

from flowscope.conf import flowscope_settings
from flowscope.diagnostics import Counters
from flowscope.recording import writer
from flowscope.recording.commit_gate import GaveUp
from flowscope.records.trace import now

logger = logging.getLogger("flowscope.recorder")

BACKOFF_SECONDS = 0.2


class StoreUnavailable(Exception):
    """The store did not answer: the batch was not (wholly) written, nothing was dropped."""


def store_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        writer.close_connection()
        return False
    return True


class WritePolicy:
    def __init__(self, on_commit, losses):
        """``on_commit(batch)`` gets each committed ``writer.CommittedBatch``; ``losses``
        counts and logs the records no attempt could write."""
        self.on_commit, self.losses = on_commit, losses
        self._counts = Counters("written", "duplicates", "failed_batches", "retries")
        self.last_flush_at = None
        self._last_failure = None

    def snapshot(self):
        return {**self._counts.snapshot(), "last_flush_at": self.last_flush_at}

    def write_batch(self, items, keep_when_down=False):
        """Write records (traces, external spans, standalone errors) in one transaction;
        return those skipped because they were stored before (their idempotency key has a
        receipt)."""
        if len(items) == 1 and not keep_when_down:
            committed = self.write(functools.partial(writer.write, items), item_count=1)
            return committed.duplicates if committed is not None else []
        committed = self._attempt(
            functools.partial(writer.write, items), flowscope_settings.WRITE_RETRIES
        )
        if committed is not None:
            self._committed(committed, len(items))
            return committed.duplicates
        return self._write_one_by_one(items, keep_when_down)

    def _write_one_by_one(self, items, keep_when_down):
        lost, duplicates = 0, []
        for item in items:
            committed = self._attempt(functools.partial(writer.write, [item]), retries=0)
            if committed is None and keep_when_down and not store_answers():
                raise StoreUnavailable(str(self._last_failure)) from self._last_failure
            if committed is None:
                lost += 1
            else:
                self._committed(committed, 1)
                duplicates += committed.duplicates
        self._counts.add(failed_batches=1)
        detail = f"{lost} of a batch of {len(items)} refused by the store"
        self.losses.add("write_failed", lost, detail, exc_info=self._last_failure)
        return duplicates

    def write(self, action, item_count=0):
        """Run ``action`` (one transaction returning a ``CommittedBatch``) with retries and
        return what it committed; on the last failure count ``item_count`` records as
        dropped, log it and return None."""
        committed = self._attempt(action, flowscope_settings.WRITE_RETRIES)
        if committed is None:
            self._counts.add(failed_batches=1)
            if item_count:
                self.losses.add("write_failed", item_count, exc_info=self._last_failure)
            else:
                logger.error("flowscope could not write", exc_info=self._last_failure)
            return None
        self._committed(committed, item_count)
        return committed

    def _attempt(self, action, retries):
        """What ``action`` committed, or None once the last attempt failed (its exception
        kept for the log)."""
        for attempt in range(retries + 1):
            try:
                return action()
            except GaveUp:  # shutdown counted these records: no retry, no second count
                raise
            except Exception as exc:
                writer.close_connection()  # the next attempt gets a fresh connection
                self._last_failure = exc
                if attempt < retries:
                    self._counts.add(retries=1)
                    time.sleep(BACKOFF_SECONDS * 2**attempt)
        return None

    def _committed(self, committed, item_count):
        duplicates = len(committed.duplicates)
        self._counts.add(written=item_count - duplicates, duplicates=duplicates)
        self.last_flush_at = now().isoformat()
        if committed:
            self.on_commit(committed)
