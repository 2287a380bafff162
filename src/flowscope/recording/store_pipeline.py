"""Batches of prepared records into the store: what every writer does, in-process (the
"thread" transport) or in a ``flowscope_writer`` process (the "redis" transport).

Each batch is written under the ``WritePolicy`` (one transaction, retries, record by
record when the batch keeps failing), each commit is handed to the sinks (realtime's live
publisher is one, added by the app's ``ready()``), and the batch is shown to the jobs
(rollups count every request, stored or not). A follow-up (invariant checks are one) may
answer a commit with a write of its own, which runs after the batch through the same
policy, so that its commit reaches the sinks too. Then the jobs run: closed rollup windows,
process metrics, the idle-workflow sweep. With ``keep_when_down`` a batch the store could
not take raises ``StoreUnavailable`` before the jobs see it, so that offering it again
counts it once.
"""

import logging

from flowscope.internal_errors import capture_internal_errors
from flowscope.recording import writer
from flowscope.recording.jobs import ProcessMetrics, Rollups, TimeoutSweep
from flowscope.recording.write_policy import StoreUnavailable, WritePolicy
from flowscope.signals import batch_committed

__all__ = [
    "StorePipeline",
    "StoreUnavailable",
    "add_follow_up",
    "add_sink",
    "remove_follow_up",
    "remove_sink",
]

logger = logging.getLogger("flowscope.recorder")

_sinks = []
_follow_ups = []


def add_sink(sink):
    """Call ``sink(batch)`` with every committed ``writer.CommittedBatch``, in the
    writer's thread, in the order added (idempotent). Keep it quick: the next batch
    waits for it. A failing sink is logged and counted, never raised into the writer."""
    if sink not in _sinks:
        _sinks.append(sink)


def remove_sink(sink):
    if sink in _sinks:
        _sinks.remove(sink)


def add_follow_up(follow_up):
    """Call ``follow_up(batch)`` with every committed ``writer.CommittedBatch``, after the
    sinks (idempotent). It returns None, or a write to make: a callable that runs one
    transaction and returns the ``CommittedBatch`` it wrote. The write is made after the
    batch, retried and counted like any, and its commit reaches the sinks (and the
    follow-ups) in turn. Keep the call itself quick: the work belongs in the write."""
    if follow_up not in _follow_ups:
        _follow_ups.append(follow_up)


def remove_follow_up(follow_up):
    if follow_up in _follow_ups:
        _follow_ups.remove(follow_up)


class StorePipeline:
    def __init__(self, source, losses, process_metrics=True):
        """``source`` names this writer in rollups and process metrics; ``losses`` counts
        what the store refused."""
        self.policy = WritePolicy(on_commit=self._committed, losses=losses)
        self.rollups = Rollups(source)
        jobs = [self.rollups, TimeoutSweep()]
        if process_metrics:
            jobs.append(ProcessMetrics(source))
        self.jobs = tuple(jobs)
        self._follow_up_writes = []

    def handle(self, records, keep_when_down=False):
        if records:
            duplicates = self.policy.write_batch(records, keep_when_down)
            if duplicates:  # delivered again: counted in the rollups the first time
                skipped = {id(record) for record in duplicates}
                records = [record for record in records if id(record) not in skipped]
            self._write_follow_ups()
        for job in self.jobs:
            with capture_internal_errors():  # a bug in a job is logged; the writer goes on
                job.observe(records)
        for job in self.jobs:
            with capture_internal_errors():
                job.run(self.policy.write)

    def finish(self):
        """Write the open rollup windows; close the store connection of this thread."""
        try:
            self._write_follow_ups()
            for job in self.jobs:
                with capture_internal_errors():
                    job.finish(self.policy.write)
        finally:
            writer.close_connection()

    def snapshot(self):
        return {
            **self.policy.snapshot(),
            "late_rollup_observations": self.rollups.buffer.late,
        }

    def _committed(self, batch):
        for sink in list(_sinks):
            with capture_internal_errors():
                sink(batch)
        for receiver, result in batch_committed.send_robust(sender=StorePipeline, batch=batch):
            if isinstance(result, Exception):
                logger.error("batch_committed receiver %r failed: %r", receiver, result)
        for follow_up in list(_follow_ups):
            with capture_internal_errors():
                if (write := follow_up(batch)) is not None:
                    self._follow_up_writes.append(write)

    def _write_follow_ups(self):
        while self._follow_up_writes:  # a follow-up's commit may bring another
            self.policy.write(self._follow_up_writes.pop(0))
