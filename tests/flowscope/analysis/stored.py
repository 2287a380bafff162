"""Traffic stored twice, as a serving process stores it: the steps (writer) and the
per-minute rollups of the same requests (RollupBuffer), so that a short window (read from
the steps) and a long one (read from the rollups) can be compared."""

from datetime import timedelta

from flowscope.models import PerformanceSnapshot
from flowscope.recording import writer
from flowscope.recording.rollups import RollupBuffer
from tests.flowscope.factories import T0

# A short window reads the steps, a long one the rollups; both hold all of the traffic.
RAW = {"since": T0 - timedelta(minutes=30), "until": T0 + timedelta(minutes=30)}
ROLLED_UP = {"since": T0 - timedelta(hours=12), "until": T0 + timedelta(hours=12)}


def store(traces, source="web-1:100"):
    writer.write(list(traces))
    buffer = RollupBuffer(source)
    for trace in traces:
        buffer.add(trace)
    PerformanceSnapshot.objects.bulk_create(buffer.take_all())
