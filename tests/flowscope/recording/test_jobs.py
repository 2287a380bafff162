"""The recorder's jobs keep their own cadence, whatever the batches do."""

import pytest

from flowscope.recording.jobs import ProcessMetrics, TimeoutSweep

pytestmark = pytest.mark.django_db


def test_process_metrics_are_sampled_once_an_interval_and_never_when_off(settings):
    writes = []
    job = ProcessMetrics("host:1")
    job.run(writes.append)  # the suite turns sampling off
    assert writes == []
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "PROCESS_METRICS_INTERVAL": 3600}
    job.run(writes.append)
    job.run(writes.append)
    assert len(writes) == 1
    committed = writes[0]()
    assert {row.metric for row in committed.snapshots} == {"cpu_percent", "memory_mb", "threads"}
    assert {row.source for row in committed.snapshots} == {"host:1"}


def test_idle_workflows_are_swept_once_a_sweep_interval():
    writes = []
    job = TimeoutSweep()
    job.run(writes.append)
    job.run(writes.append)
    assert len(writes) == 1
    assert not writes[0]()  # nothing idle: an empty batch, announced to nobody
