"""The work the recorder's thread does besides writing records.

A job sees every batch before it is written (``observe``), runs after each batch and on
idle ticks, at a cadence of its own (``run``), and once more when the recorder stops
(``finish``). ``write`` is the write policy's: retried, counted, and every commit reaches
the recorder's sinks like a batch of records.
"""

import functools
import time

from flowscope.conf import flowscope_settings
from flowscope.recording import writer
from flowscope.recording.process_metrics import ProcessSampler
from flowscope.recording.rollups import RollupBuffer
from flowscope.records.trace import ExternalSpans, Trace, now

TIMEOUT_SWEEP_SECONDS = 30


class Job:
    def observe(self, batch):
        pass

    def run(self, write):
        pass

    def finish(self, write):
        pass


def write_snapshots(write, snapshots):
    if snapshots:
        write(functools.partial(writer.write_snapshots, snapshots))


class Rollups(Job):
    """Per-minute performance rollups: every request served and every span ingested
    counts, stored or not (sampling leaves steps out, not requests); manual test runs do
    not. A window is written once closed; the open ones when the recorder stops."""

    def __init__(self, source):
        self.buffer = RollupBuffer(source)

    def observe(self, batch):
        for item in batch:
            if isinstance(item, Trace) and "synthetic" in item.workflow_metadata:
                continue  # a manual test run: not the system's performance
            if isinstance(item, Trace):
                self.buffer.add(item)
            elif isinstance(item, ExternalSpans):
                self.buffer.add_external(item)

    def run(self, write):
        write_snapshots(write, self.buffer.take_closed(now()))

    def finish(self, write):
        write_snapshots(write, self.buffer.take_all())


class ProcessMetrics(Job):
    """This process's CPU, memory and threads, every PROCESS_METRICS_INTERVAL (0: off)."""

    def __init__(self, source):
        self.source = source
        self.sampler = None  # made on first use: priming psutil costs a system call
        self.next_sample = 0.0

    def run(self, write):
        interval = flowscope_settings.PROCESS_METRICS_INTERVAL
        clock = time.monotonic()
        if not interval or clock < self.next_sample:
            return
        self.next_sample = clock + interval
        self.sampler = self.sampler or ProcessSampler(self.source)
        write_snapshots(write, self.sampler.sample(now(), interval))


class TimeoutSweep(Job):
    """Every TIMEOUT_SWEEP_SECONDS, workflows idle for longer than
    WORKFLOW_TIMEOUT_SECONDS become timed_out. Every process sweeps; the update is
    conditional, so a workflow two processes find is timed out (and announced) once."""

    def __init__(self):
        self.next_sweep = 0.0

    def run(self, write):
        clock = time.monotonic()
        if clock < self.next_sweep:
            return
        self.next_sweep = clock + TIMEOUT_SWEEP_SECONDS
        timeout = flowscope_settings.WORKFLOW_TIMEOUT_SECONDS
        write(functools.partial(writer.time_out_idle_workflows, now(), timeout))
