"""The recorder's pipeline in a serving process with TRANSPORT "redis": each prepared batch
is encoded and appended to the stream as one entry, for ``flowscope_writer`` processes to
write. Nothing here touches the store: rollups, process metrics and the idle-workflow sweep
run in the writers.

The bound is checked in the same round trip as the append (a Lua script: XLEN, then XADD),
so that serving processes together never pass ``STREAM_MAX_LENGTH``; a batch refused there
is counted as "stream_full". Any Redis error counts the batch as "stream_unavailable" and
the process keeps serving; for ``RETRY_AFTER_SECONDS`` batches are dropped without trying
(a Redis that does not answer costs the writer thread one short timeout, not one a batch),
then sending resumes by itself.
"""

import time

from flowscope.conf import flowscope_settings
from flowscope.diagnostics import Counters
from flowscope.internal_errors import capture_internal_errors
from flowscope.recording import stream
from flowscope.records import codec
from flowscope.records.trace import now

RETRY_AFTER_SECONDS = 1.0

# Returns the new entry's ID, or false (None) when the stream is at its bound.
APPEND = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', ARGV[2], ARGV[3])
"""


class StreamProducer:
    def __init__(self, losses):
        self.losses = losses
        self.client = stream.connect(stream.PRODUCER_TIMEOUT_SECONDS)
        self._append = self.client.register_script(APPEND)
        self.info = stream.StreamInfo(self.client)
        self.counts = Counters("sent", "sent_batches")
        self.last_sent_at = None
        self._retry_at = float("-inf")

    def handle(self, records):
        if not records:
            return
        data = None
        with capture_internal_errors():
            data = codec.encode(records)
        if data is None:
            self.losses.add("prepare_failed", len(records), "could not be encoded")
            return
        if time.monotonic() < self._retry_at:
            self.losses.add("stream_unavailable", len(records), "Redis failed a moment ago")
            return
        self._send(data, len(records))

    def _send(self, data, count):
        import redis

        key, bound = flowscope_settings.STREAM_KEY, flowscope_settings.STREAM_MAX_LENGTH
        try:
            entry_id = self._append(keys=[key], args=[bound, stream.FIELD, data])
        except (redis.RedisError, OSError) as exc:
            self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            self.losses.add("stream_unavailable", count, f"{type(exc).__name__}: {exc}")
            return
        if entry_id is None:
            self.losses.add("stream_full", count, f"STREAM_MAX_LENGTH is {bound}")
            return
        self.counts.add(sent=count, sent_batches=1)
        self.last_sent_at = now().isoformat()

    def finish(self):
        self.client.close()

    def snapshot(self):
        return {**self.counts.snapshot(), "last_sent_at": self.last_sent_at, **self.info.snapshot()}
