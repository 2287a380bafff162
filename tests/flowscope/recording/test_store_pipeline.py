"""A record delivered twice (a stream entry a killed writer left, a retried ingest request,
a spool written again) is stored once and counted once, in the workflow and the rollups."""

import pytest

from flowscope.models import WorkflowSession
from flowscope.recording.losses import Losses
from flowscope.recording.store_pipeline import StorePipeline
from flowscope.records.trace import now
from tests.flowscope.factories import make_trace


def keyed_trace(key):
    trace = make_trace("wf-again", at=now())  # its rollup window still open
    trace.idempotency_key = key
    return trace


def requests_in_rollups(pipeline):
    return sum(
        series.count
        for (_, layer, component), series in pipeline.rollups.buffer.series.items()
        if layer == "api" and component == "*"
    )


@pytest.mark.django_db(transaction=True)
def test_a_record_delivered_again_is_stored_and_counted_once():
    pipeline = StorePipeline("test:1", Losses(), process_metrics=False)
    pipeline.handle([keyed_trace("stream:1-0:0")])
    pipeline.handle([keyed_trace("stream:1-0:0"), keyed_trace("stream:1-0:1")])
    workflow = WorkflowSession.objects.get(correlation_id="wf-again")
    assert workflow.request_count == 2  # the first delivery of each key
    assert requests_in_rollups(pipeline) == 2
    stats = pipeline.snapshot()
    assert (stats["written"], stats["duplicates"]) == (2, 1)
