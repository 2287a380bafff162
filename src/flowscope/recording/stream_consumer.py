"""A writer of the "redis" transport (``manage.py flowscope_writer``): takes entries of the
stream through the consumer group, writes their records through a ``StorePipeline``, and
acknowledges (and deletes) them only once they are committed.

Delivery is at least once: an entry a writer took and never acknowledged (it was killed)
is taken over by another after ``STREAM_CLAIM_AFTER_SECONDS`` (XAUTOCLAIM), and each record
carries the idempotency key ``stream:<entry id>:<index>``, so that the store keeps a
redelivered record once. While the store is down nothing is acknowledged and nothing is
counted as lost: the batch in hand is offered again, with backoff. An entry that does not
decode is acknowledged and counted ("undecodable"), never retried.
"""

import logging
import time

from flowscope.conf import flowscope_settings
from flowscope.diagnostics import Counters
from flowscope.recording import stream
from flowscope.recording.losses import Losses
from flowscope.recording.store_pipeline import StorePipeline, StoreUnavailable
from flowscope.records import codec

logger = logging.getLogger("flowscope.writer")

BACKOFF_SECONDS, MAX_BACKOFF_SECONDS = 0.5, 10.0
REPORT_EVERY_SECONDS = 60.0


class StreamWriter:
    def __init__(self, consumer, batch=10, block_ms=1000):
        """``batch``: most entries taken at once (each one a producer's batch of records),
        written in one transaction; ``block_ms``: the longest a read waits for entries."""
        self.consumer, self.batch, self.block_ms = consumer, batch, block_ms
        self.key, self.group = flowscope_settings.STREAM_KEY, flowscope_settings.STREAM_GROUP
        self.client = stream.connect(timeout=block_ms / 1000 + 10)
        self.losses = Losses()
        self.pipeline = StorePipeline(consumer, self.losses)
        self.counts = Counters("entries", "records", "claimed")
        self.stopping = False
        self._own_pending = True  # first, what this consumer took before a restart
        self._next_claim = 0.0
        self._report = (time.monotonic(), 0, 0)

    def stop(self):
        """Finish the batch in hand, acknowledge it and return from ``run`` (signal-safe)."""
        self.stopping = True

    def run(self):
        logger.info("flowscope_writer %s reads %s (group %s)", self.consumer, self.key, self.group)
        try:
            while not self.stopping:
                entries = self._next_entries()
                if entries is not None:
                    self.write(entries)
                self._maybe_report()
        finally:
            self.pipeline.finish()  # the open rollup windows
            self.losses.log_pending()
            self.client.close()

    # --- taking entries -----------------------------------------------------------------

    def _next_entries(self):
        """Entries to write (maybe none: the jobs still run), or None after a Redis error."""
        import redis

        try:
            return self._claimed() or self._read()
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self.ensure_group()  # a first start, or Redis lost the stream
        except (redis.RedisError, OSError) as exc:
            logger.warning("flowscope_writer cannot reach the stream: %s", exc)
            self._pause(BACKOFF_SECONDS * 4)
        return None

    def ensure_group(self):
        import redis

        try:
            self.client.xgroup_create(self.key, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):  # another writer made it first
                raise

    def _read(self):
        start = "0" if self._own_pending else ">"
        block = None if self._own_pending else self.block_ms
        found = self.client.xreadgroup(
            self.group, self.consumer, {self.key: start}, count=self.batch, block=block
        )
        entries = found[0][1] if found else []
        if self._own_pending and not entries:
            self._own_pending = False
        return entries

    def _claimed(self):
        """Entries other writers took and did not acknowledge in time (they died)."""
        clock = time.monotonic()
        if clock < self._next_claim:
            return []
        claim_after = flowscope_settings.STREAM_CLAIM_AFTER_SECONDS
        self._next_claim = clock + max(claim_after / 2, 0.5)
        _, entries, _ = self.client.xautoclaim(
            self.key, self.group, self.consumer, int(claim_after * 1000), count=self.batch
        )
        if entries:
            self.counts.add(claimed=len(entries))
            logger.warning("flowscope_writer took over %d entries of a writer", len(entries))
            self._next_claim = clock  # there may be more
        self._forget_gone_consumers(claim_after)
        return entries

    def _forget_gone_consumers(self, claim_after):
        """Consumers with nothing pending, silent for long: writers that are gone."""
        for consumer in self.client.xinfo_consumers(self.key, self.group):
            if not consumer["pending"] and consumer["idle"] > claim_after * 1000 * 10:
                self.client.xgroup_delconsumer(self.key, self.group, consumer["name"])

    # --- writing them -------------------------------------------------------------------

    def write(self, entries):
        """Write the entries' records until committed (or until told to stop, leaving them
        pending), then acknowledge them."""
        records = self.decoded(entries)
        delay = BACKOFF_SECONDS
        while True:
            try:
                self.pipeline.handle(records, keep_when_down=True)
                break
            except StoreUnavailable as exc:
                logger.warning("flowscope_writer: the store is down (%s); retrying", exc)
                if self.stopping:
                    return  # left pending: this writer restarted, or another, takes them
                self._pause(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                self._keep(entries)
        self.acknowledge([entry_id for entry_id, _ in entries])
        self.counts.add(entries=len(entries), records=len(records))

    def _keep(self, entries):
        """Still ours: reset the entries' idle time, so that no other writer takes over
        entries this one is retrying (they would both write them)."""
        import redis

        try:
            ids = [entry_id for entry_id, _ in entries]
            if ids:
                self.client.xclaim(self.key, self.group, self.consumer, 0, ids, justid=True)
        except (redis.RedisError, OSError):
            pass  # Redis is down too: nobody takes them over meanwhile

    def decoded(self, entries):
        """The entries' records, keyed for redelivery; undecodable entries are
        acknowledged and counted at once."""
        records, bad = [], []  # bad: entries to acknowledge without writing
        for entry_id, fields in entries:
            if fields is None:  # deleted, hence written, but still pending: acknowledge it
                bad.append(entry_id)
                continue
            try:
                batch = codec.decode(fields[stream.FIELD])
            except (KeyError, codec.DecodeError) as exc:
                bad.append(entry_id)
                self.losses.add("undecodable", 1, f"stream entry {entry_id!r}: {exc!r}")
                continue
            for index, record in enumerate(batch):
                if not record.idempotency_key:  # one an ingest request gave is kept
                    record.idempotency_key = stream.delivery_key(entry_id, index)
            records.extend(batch)
        if bad:
            self.acknowledge(bad)
        return records

    def acknowledge(self, entry_ids):
        """XACK and XDEL: the stream's length stays the backlog. Retried while Redis is
        down; at worst the entries are written again (and kept once)."""
        import redis

        if not entry_ids:
            return
        delay = BACKOFF_SECONDS
        while True:
            try:
                pipe = self.client.pipeline(transaction=True)
                pipe.xack(self.key, self.group, *entry_ids)
                pipe.xdel(self.key, *entry_ids)
                pipe.execute()
                return
            except (redis.RedisError, OSError) as exc:
                logger.warning("flowscope_writer could not acknowledge entries: %s", exc)
                if self.stopping:
                    return
                self._pause(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    # --- the rest -----------------------------------------------------------------------

    def _pause(self, seconds):
        """Sleep, waking early when told to stop."""
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

    def _maybe_report(self):
        started, entries_before, records_before = self._report
        clock = time.monotonic()
        if clock - started < REPORT_EVERY_SECONDS:
            return
        counts = self.counts.snapshot()
        records = counts["records"] - records_before
        logger.info(
            "flowscope_writer %s: %d records (%d entries) in %.0f s, %.1f records/s; "
            "%d lost since start",
            self.consumer,
            records,
            counts["entries"] - entries_before,
            clock - started,
            records / (clock - started),
            self.losses.total,
        )
        self._report = (clock, counts["entries"], records_before + records)
