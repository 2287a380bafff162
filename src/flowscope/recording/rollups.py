"""Per-minute performance rollups, kept in memory by the recorder and written as
``PerformanceSnapshot`` rows when their window closes: one row per metric, window and
(layer, component), not one per request.

Durations are kept in a bounded reservoir per series (uniform random sample), so memory
stays flat under any load and percentiles stay unbiased.

Besides the per-component series, each window has one ``layer_error_rate`` row per layer
(component ``*``: every step of the layer, its share of failures) and each API series a
``response_size_bytes`` row, so that readers of long periods (``analysis``) find the health
counts and the routes' response sizes here instead of scanning the steps.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import timedelta

from flowscope.models import PerformanceSnapshot
from flowscope.percentiles import percentile
from flowscope.thresholds import JUDGED_ON_P95, evaluate

RESERVOIR_SIZE = 1000
MAX_COMPONENT = 255
# A window is written this long after it ends, for spans that arrive late (browser batches,
# OTLP exporters); what arrives later still is counted in ``late`` and left out.
GRACE = timedelta(seconds=15)
LAYER_TOTAL = "*"  # the component of a layer's ``layer_error_rate`` row


@dataclass
class Reservoir:
    seen: int = 0
    values: list = field(default_factory=list)

    def add(self, value):
        self.seen += 1
        if len(self.values) < RESERVOIR_SIZE:
            self.values.append(value)
        else:
            slot = random.randrange(self.seen)
            if slot < RESERVOIR_SIZE:
                self.values[slot] = value


@dataclass
class Series:
    """What one (window, layer, component) has seen so far."""

    count: int = 0
    errors: int = 0
    total_ms: float = 0.0
    durations: Reservoir = field(default_factory=Reservoir)
    queries: Reservoir = field(default_factory=Reservoir)
    hits: int = 0
    misses: int = 0
    total_bytes: float = 0.0
    sizes: Reservoir = field(default_factory=Reservoir)

    def observe(self, duration_ms, error=False):
        self.count += 1
        self.errors += bool(error)
        self.total_ms += duration_ms
        self.durations.add(duration_ms)

    def observe_size(self, size):
        if isinstance(size, int | float) and not isinstance(size, bool):
            self.total_bytes += size
            self.sizes.add(size)


@dataclass
class Tally:
    """Steps of one layer in one window, and how many failed."""

    steps: int = 0
    errors: int = 0


def component_for_sql(sql):
    if len(sql) <= MAX_COMPONENT:
        return sql
    digest = hashlib.sha256(sql.encode()).hexdigest()[:12]
    return f"{sql[: MAX_COMPONENT - 14]}… {digest}"


class RollupBuffer:
    def __init__(self, source, window_seconds=60):
        self.source = source
        self.window_seconds = window_seconds
        self.series = {}  # (window_start, layer, component) -> Series
        self.layers = {}  # (window_start, layer) -> Tally
        self.closed_before = None  # windows starting before this are written
        self.late = 0

    def window_start(self, moment):
        epoch_seconds = int(moment.timestamp())
        return moment - timedelta(
            seconds=epoch_seconds % self.window_seconds, microseconds=moment.microsecond
        )

    def _is_written(self, window):
        return self.closed_before is not None and window < self.closed_before

    def _get(self, window, layer, component):
        # A written window has no series left (``take_closed`` took them all).
        series = self.series.get((window, layer, component))
        if series is None:
            if self._is_written(window):
                self.late += 1
                return Series()  # observed, but its window is already written
            series = self.series[window, layer, component] = Series()
        return series

    def add(self, trace):
        """A request (or a task's run, under layer ``task``) counts in the window it ended
        in, as a metric is observed then."""
        root = trace.root
        window = self.window_start(trace.ended_at)
        failed = root.status == "error"
        for component in (root.name, "*"):
            series = self._get(window, root.layer, component)
            series.observe(root.duration_ms, failed)
            series.queries.add(trace.query_count)
            series.observe_size(root.metadata.get("response_size"))
        self._count(window, root.layer, failed)
        for span in trace.spans:
            self._add_span(window, span)

    def add_external(self, record):
        """Spans from the browser or OpenTelemetry: each in the window it started in."""
        for span in record.spans:
            ended = span.started_at + timedelta(milliseconds=span.duration_ms)
            self._add_span(self.window_start(ended), span)

    def _add_span(self, window, span):
        if span.layer == "database":
            component = component_for_sql(span.metadata.get("sql", span.name))
        elif span.layer == "cache":
            component = span.metadata.get("alias", "default")
        else:
            component = span.name[:MAX_COMPONENT]
        series = self._get(window, span.layer, component)
        series.observe(span.duration_ms, span.status == "error")
        self._count(window, span.layer, span.status == "error")
        meta = span.metadata
        if "hit" in meta:
            series.hits += meta["hit"]
            series.misses += not meta["hit"]
        series.hits += meta.get("hits", 0)
        series.misses += meta.get("misses", 0)

    def _count(self, window, layer, failed):
        tally = self.layers.get((window, layer))
        if tally is None:
            if self._is_written(window):  # a late one is counted once, by ``_get``
                return
            tally = self.layers[window, layer] = Tally()
        tally.steps += 1
        tally.errors += failed

    def take_closed(self, now):
        """Snapshots of every window that has ended by ``now``, removed from the buffer."""
        cutoff = now - timedelta(seconds=self.window_seconds) - GRACE
        due = [window for window, _, _ in self.series if window <= cutoff]
        if due:
            newest = max(due) + timedelta(seconds=self.window_seconds)
            self.closed_before = max(self.closed_before or newest, newest)
        return self._take(lambda window: window <= cutoff)

    def take_all(self):
        return self._take(lambda window: True)

    def _take(self, is_due):
        due = [key for key in self.series if is_due(key[0])]
        snapshots = []
        for key in due:
            snapshots.extend(self._snapshots(key, self.series.pop(key)))
        for window, layer in [key for key in self.layers if is_due(key[0])]:
            tally = self.layers.pop((window, layer))
            key = (window, layer, LAYER_TOTAL)
            snapshots.append(
                self._row(key, "layer_error_rate", tally.steps, tally.errors / tally.steps)
            )
        return snapshots

    def _snapshots(self, key, series):
        _window, layer, _component = key
        durations = sorted(series.durations.values)
        rows = [
            self._row(
                key,
                "response_time_ms",
                series.count,
                series.total_ms / series.count,
                durations,
            )
        ]
        if layer != "cache":
            rows.append(self._row(key, "error_rate", series.count, series.errors / series.count))
        if layer == "api" and series.queries.values:  # requests served here, not ingested
            queries = sorted(series.queries.values)
            rows.append(
                self._row(key, "query_count", series.count, sum(queries) / len(queries), queries)
            )
            rows.append(
                self._row(
                    key, "throughput_rpm", series.count, series.count * 60 / self.window_seconds
                )
            )
        if layer == "api" and series.sizes.seen:
            sizes = sorted(series.sizes.values)
            rows.append(
                self._row(
                    key,
                    "response_size_bytes",
                    series.sizes.seen,
                    series.total_bytes / series.sizes.seen,
                    sizes,
                )
            )
        lookups = series.hits + series.misses
        if layer == "cache" and lookups:
            rows.append(self._row(key, "cache_hit_ratio", lookups, series.hits / lookups))
        return rows

    def _row(self, key, metric, count, value, sorted_values=None):
        window, layer, component = key
        sorted_values = sorted_values or []
        p95 = percentile(sorted_values, 0.95)
        threshold, severity = evaluate(metric, p95 if metric in JUDGED_ON_P95 else value)
        return PerformanceSnapshot(
            metric=metric,
            layer=layer,
            component=component,
            source=self.source,
            window_start=window,
            window_seconds=self.window_seconds,
            count=count,
            value=value,
            p50=percentile(sorted_values, 0.50),
            p95=p95,
            p99=percentile(sorted_values, 0.99),
            threshold=threshold,
            is_alert=bool(severity),
            severity=severity,
        )
