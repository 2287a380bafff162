"""Batches of prepared records into the store: what every writer does, in-process (the
"thread" transport) or in a ``flowscope_writer`` process (the "redis" transport).

Each batch is written under the ``WritePolicy`` (one transaction, retries, record by
record when the batch keeps failing), each commit is handed to the sinks (realtime's live
publisher is one, added by the app's ``ready()``), and the batch is shown to the jobs
(rollups count every request, stored or not). Then the jobs run: closed rollup windows,
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

__all__ = ["StorePipeline", "StoreUnavailable", "add_sink", "remove_sink"]

logger = logging.getLogger("flowscope.recorder")

_sinks = []


def add_sink(sink):
    """Call ``sink(batch)`` with every committed ``writer.CommittedBatch``, in the
    writer's thread, in the order added (idempotent). Keep it quick: the next batch
    waits for it. A failing sink is logged and counted, never raised into the writer."""
    if sink not in _sinks:
        _sinks.append(sink)


def remove_sink(sink):
    if sink in _sinks:
        _sinks.remove(sink)


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

    def handle(self, records, keep_when_down=False):
        if records:
            duplicates = self.policy.write_batch(records, keep_when_down)
            if duplicates:  # delivered again: counted in the rollups the first time
                skipped = {id(record) for record in duplicates}
                records = [record for record in records if id(record) not in skipped]
        for job in self.jobs:
            with capture_internal_errors():  # a bug in a job is logged; the writer goes on
                job.observe(records)
        for job in self.jobs:
            with capture_internal_errors():
                job.run(self.policy.write)

    def finish(self):
        """Write the open rollup windows; close the store connection of this thread."""
        try:
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

    @staticmethod
    def _committed(batch):
        for sink in list(_sinks):
            with capture_internal_errors():
                sink(batch)
        for receiver, result in batch_committed.send_robust(sender=StorePipeline, batch=batch):
            if isinstance(result, Exception):
                logger.error("batch_committed receiver %r failed: %r", receiver, result)
