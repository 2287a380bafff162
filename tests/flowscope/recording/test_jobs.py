"""The recorder's jobs keep their own cadence, whatever the batches do."""

from datetime import timedelta

import pytest

from flowscope.models import WorkflowSession
from flowscope.recording import writer
from flowscope.recording.jobs import ProcessMetrics, TimeoutSweep
from flowscope.records.trace import now
from tests.flowscope.factories import make_trace

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


def test_the_sweep_times_out_what_is_idle_longer_than_the_setting(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WORKFLOW_TIMEOUT_SECONDS": 120}
    moment = now()
    writer.write(
        [
            make_trace("idle", at=moment - timedelta(minutes=3)),
            make_trace("recent", at=moment - timedelta(minutes=1)),
            make_trace("outside", at=moment - timedelta(minutes=3), correlation_given=False),
        ]
    )
    writes = []
    TimeoutSweep().run(writes.append)
    assert [w.correlation_id for w in writes[0]().timed_out] == ["idle"]
    statuses = dict(WorkflowSession.objects.values_list("correlation_id", "status"))
    assert statuses == {"idle": "timed_out", "recent": "in_progress", "outside": "completed"}
    idle = WorkflowSession.objects.get(correlation_id="idle")
    assert idle.duration_ms == idle.recorded_ms == 100
