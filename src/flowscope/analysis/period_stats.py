"""Aggregates of one time window, computed once and shared by whoever needs them: the
recommendation rules and the performance report read the same per-route, per-query and
per-cache figures, so each costs one query, not one per reader.

Where they come from depends on the window's length, one rule for every reader:

- **Up to ``RAW_SPAN`` (2 hours): the raw steps**, exact (each step once, by when it
  started); a window this short holds few enough steps to scan.
- **Longer: the per-minute rollups** (``PerformanceSnapshot`` rows, each process's own),
  whose size grows with the minutes and components, not with the traffic. Counts, errors
  and averages are sums of the rows, so exact up to the edges: a request counts in the
  minute it ended, and unsampled requests count too (the steps hold sampled ones only).
  What is traded: a maximum is the highest per-minute p99 (the maximum itself for a
  component under 100 observations in a minute, the reservoir's 99th percentile above),
  and an average query count or response size is the mean of each minute's reservoir
  (1000 values) where a minute saw more. A route's or query's p50 and p95
  (``spreads``) are the per-minute ones weighted by each minute's count: close to the
  true percentile when the minutes look alike, off when a few busy minutes differ from
  the rest. Closed hours are aggregated once per process (``rollup_hours``), so a week
  costs about what its two partial hours cost. Readers that show example steps read them
  from ``sample_steps``: the window's last ``RAW_SPAN`` only.

Every query is restricted to the window (the ``started_at`` and ``window_start`` indexes)
and aggregates in the database; each aggregate keeps at most ``MAX_GROUPS`` groups, the
busiest.
"""

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, reduce
from operator import or_

from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    Q,
    Sum,
    TextField,
)
from django.db.models import Value as V
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, NullIf

from flowscope.analysis.rollup_hours import SETTLE, totals
from flowscope.analysis.workflows import started_in
from flowscope.conf import flowscope_settings
from flowscope.models import PerformanceSnapshot, TraceStep, WorkflowSession

MAX_GROUPS = 1000  # routes, queries or cache aliases kept per aggregate
SAMPLE_SIZE = 500  # recent rows per group, for percentiles
RAW_SPAN = timedelta(hours=2)  # longer windows read the per-minute rollups
NAME_LOOKUP = 1000  # recent steps read to name the queries the rollups shortened
# The rollups name a query longer than 255 characters by its first 241, "… " and the start
# of the SHA-256 of the whole statement (``recording.rollups.component_for_sql``).
SHORTENED = re.compile(r"^(?P<prefix>.{241})… (?P<digest>[0-9a-f]{12})$", re.DOTALL)


def reads_rollups(since, until):
    """Whether the window ``[since, until)`` is read from the rollups (see above)."""
    return until - since > RAW_SPAN


def metadata_number(key, output_field=None):
    """A number from the metadata, NULL when absent or JSON null. (SQLite's key transform
    answers the text 'null' for a JSON null, which would cast to 0.)"""
    text = NullIf(KeyTextTransform(key, "metadata"), V("null"))
    return Cast(text, output_field or FloatField())


def total(metric):
    """The sum over rollup rows of ``metric`` of value x count: the sum of what they
    averaged (durations, errors, hits, bytes)."""
    return Sum(F("value") * Cast("count", FloatField()), filter=Q(metric=metric))


def observations(metric):
    return Sum("count", filter=Q(metric=metric))


def weighted_percentiles(metric):
    """Sums for the count-weighted per-minute p50 and p95 of ``metric`` (see ``spread``)."""
    known = Q(metric=metric, p95__isnull=False)
    weight = Cast("count", FloatField())
    return {
        f"p50_{metric}": Sum(F("p50") * weight, filter=known),
        f"p95_{metric}": Sum(F("p95") * weight, filter=known),
        f"weight_{metric}": Sum("count", filter=known),
    }


def spread(row, metric):
    """``{"p50", "p95", "sample"}`` of ``metric`` from a rollup total with the sums of
    ``weighted_percentiles``: each minute's percentile weighted by its count."""
    weight = row[f"weight_{metric}"]
    return {
        "p50": ratio(row[f"p50_{metric}"], weight),
        "p95": ratio(row[f"p95_{metric}"], weight),
        "sample": weight or 0,
    }


def ratio(part, whole):
    return part / whole if part is not None and whole else None


@dataclass
class PeriodStats:
    """The steps and workflows that started in ``[since, until)``, and their aggregates."""

    since: datetime
    until: datetime

    def steps(self, layer):
        return TraceStep.objects.filter(
            layer=layer, started_at__gte=self.since, started_at__lt=self.until
        )

    def workflows(self):
        return started_in(self.since, self.until)

    @cached_property
    def sample_since(self):
        """Where the rows read for examples begin: the whole window up to ``RAW_SPAN``, else
        its last ``RAW_SPAN`` (a bounded, recent slice: an index range on ``started_at``)."""
        return max(self.since, self.until - RAW_SPAN)

    def sample_steps(self, layer):
        return self.steps(layer).filter(started_at__gte=self.sample_since)

    def sample_workflows(self):
        return self.workflows().filter(started_at__gte=self.sample_since)

    @cached_property
    def from_rollups(self):
        return reads_rollups(self.since, self.until)

    @cached_property
    def routes(self):
        """``{route: row}`` of the API steps, busiest first: requests, errors, durations,
        response sizes and queries per request."""
        rows = self._rolled_up_routes() if self.from_rollups else self._raw_routes()
        return {row["name"]: row for row in rows}

    @cached_property
    def queries(self):
        """``{query: row}`` of the database steps, most frequent first: count and durations.
        A query is its step's name: the normalized SQL (cut at 500 characters), or the
        span name an OpenTelemetry exporter sent."""
        rows = self._rolled_up_queries() if self.from_rollups else self._raw_queries()
        return {row["name"]: row for row in rows}

    def spreads(self, layer, metric):
        """Long windows only: ``{name: {"p50", "p95", "sample"}}`` of ``metric`` per route
        (``layer`` "api": ``response_time_ms``, ``response_size_bytes``) or per query
        ("database": ``response_time_ms``), keyed as ``routes`` and ``queries`` are; read
        in the same queries as they are."""
        found = self._route_totals if layer == "api" else self._query_totals
        return {name: spread(row, metric) for name, row in found.items()}

    @cached_property
    def workflow_types(self):
        """Per workflow type (at most ``MAX_GROUPS``, by name): ``workflows`` started in the
        window, ``avg_requests`` and ``max_requests`` per workflow. A long window sums
        closed hours kept per process (``rollup_hours``), each read once it is
        ``WORKFLOW_TIMEOUT_SECONDS`` plus 5 minutes old: a workflow still making requests
        after that counts with the requests it had then."""
        if not self.from_rollups:
            return list(self._raw_workflow_types())
        found = totals(
            "period_stats.workflow_types",
            WorkflowSession.objects.real_traffic(),
            ("workflow_type",),
            sums={"workflows": Count("*"), "requests": Sum("request_count")},
            maxima={"max_requests": Max("request_count")},
            since=self.since,
            until=self.until,
            field="started_at",
            settle=timedelta(seconds=flowscope_settings.WORKFLOW_TIMEOUT_SECONDS) + SETTLE,
        )
        rows = [
            {
                "workflow_type": kind,
                "workflows": row["workflows"],
                "avg_requests": ratio(row["requests"], row["workflows"]),
                "max_requests": row["max_requests"],
            }
            for (kind,), row in sorted(found.items())
            if row["workflows"]
        ]
        return rows[:MAX_GROUPS]

    @cached_property
    def cache(self):
        """Per cache alias: operations, and hits and misses of lookups (``hit`` of get and
        has_key, ``hits``/``misses`` of get_many)."""
        return self._rolled_up_cache() if self.from_rollups else self._raw_cache()

    # From the raw steps -------------------------------------------------------------------

    def _raw_routes(self):
        return (
            self.steps("api")
            .values("name")
            .annotate(
                requests=Count("id"),
                errors=Count("id", filter=Q(status=TraceStep.Status.ERROR)),
                avg_ms=Avg("duration_ms"),
                max_ms=Max("duration_ms"),
                avg_bytes=Avg(metadata_number("response_size")),
                max_bytes=Max(metadata_number("response_size")),
                avg_queries=Avg(metadata_number("query_count")),
            )
            .order_by("-requests", "name")[:MAX_GROUPS]
        )

    def _raw_queries(self):
        return (
            self.steps("database")
            .values("name")
            .annotate(count=Count("id"), avg_ms=Avg("duration_ms"), max_ms=Max("duration_ms"))
            .order_by("-count", "name")[:MAX_GROUPS]
        )

    def _raw_workflow_types(self):
        return (
            self.workflows()
            .values("workflow_type")
            .annotate(
                # Count("*"), not "id": the covering index (fs_wf_started_cover) has no id.
                workflows=Count("*"),
                avg_requests=Avg("request_count"),
                max_requests=Max("request_count"),
            )
            .order_by("workflow_type")[:MAX_GROUPS]
        )

    def _raw_cache(self):
        alias = Coalesce(
            KeyTextTransform("alias", "metadata"), V("default"), output_field=TextField()
        )
        rows = (
            self.steps("cache")
            .annotate(cache_alias=alias)
            .values("cache_alias")
            .annotate(
                operations=Count("id"),
                single_hits=Count("id", filter=Q(metadata__hit=True)),
                single_misses=Count("id", filter=Q(metadata__hit=False)),
                many_hits=Sum(metadata_number("hits", IntegerField())),
                many_misses=Sum(metadata_number("misses", IntegerField())),
            )
            .order_by("cache_alias")[:MAX_GROUPS]
        )
        return [
            {
                "alias": row["cache_alias"],
                "operations": row["operations"],
                "hits": row["single_hits"] + (row["many_hits"] or 0),
                "misses": row["single_misses"] + (row["many_misses"] or 0),
            }
            for row in rows
        ]

    # From the per-minute rollups ----------------------------------------------------------

    def _rollup_totals(self, name, layer, metrics, sums, maxima):
        """``{component: {alias: value}}`` of the layer's rollups of ``metrics`` (closed
        hours kept per process: ``rollup_hours``)."""
        rows = PerformanceSnapshot.objects.filter(layer=layer, metric__in=metrics).exclude(
            component="*"
        )
        found = totals(name, rows, ("component",), sums, maxima, self.since, self.until)
        return {component: values for (component,), values in found.items()}

    def _rolled_up_routes(self):
        rows = [
            {
                "name": component,
                "requests": row["requests"],
                "errors": round(row["errors"] or 0),
                "avg_ms": ratio(row["total_ms"], row["requests"]),
                "max_ms": row["max_ms"],
                "avg_bytes": ratio(row["total_bytes"], row["sized"]),
                "max_bytes": row["max_bytes"],
                "avg_queries": ratio(row["total_queries"], row["counted_queries"]),
            }
            for component, row in self._route_totals.items()
            if row["requests"]
        ]
        return busiest(rows, "requests")

    @cached_property
    def _route_totals(self):
        return self._rollup_totals(
            "period_stats.routes",
            "api",
            ("response_time_ms", "error_rate", "query_count", "response_size_bytes"),
            sums={
                "requests": observations("response_time_ms"),
                "total_ms": total("response_time_ms"),
                "errors": total("error_rate"),
                "total_queries": total("query_count"),
                "counted_queries": observations("query_count"),
                "total_bytes": total("response_size_bytes"),
                "sized": observations("response_size_bytes"),
                **weighted_percentiles("response_time_ms"),
                **weighted_percentiles("response_size_bytes"),
            },
            maxima={
                "max_ms": Max("p99", filter=Q(metric="response_time_ms")),
                "max_bytes": Max("p99", filter=Q(metric="response_size_bytes")),
            },
        )

    def _rolled_up_queries(self):
        rows = [
            {
                "name": name,
                "count": row["runs"],
                "avg_ms": ratio(row["total_ms"], row["runs"]),
                "max_ms": row["max_ms"],
            }
            for name, row in self._query_totals.items()
            if row["runs"]
        ]
        return busiest(rows, "count")

    @cached_property
    def _query_totals(self):
        """The queries' rollup totals, keyed by the name of their steps (``_step_names``)."""
        found = self._rollup_totals(
            "period_stats.queries",
            "database",
            ("response_time_ms",),
            sums={
                "runs": Sum("count"),
                "total_ms": total("response_time_ms"),
                **weighted_percentiles("response_time_ms"),
            },
            maxima={"max_ms": Max("p99")},
        )
        names = self._step_names(list(found))
        return {names.get(component, component): row for component, row in found.items()}

    def _step_names(self, components):
        """``{component: step name}`` for the queries the rollups shortened, so that readers
        can look their steps up by name: found among the ``NAME_LOOKUP`` most recent
        database steps of the window that start alike (a query not run among them keeps
        the rollup's name)."""
        shortened = {c: m for c in components if (m := SHORTENED.match(c))}
        if not shortened:
            return {}
        prefixes = {m["prefix"] for m in shortened.values()}
        rows = (
            self.steps("database")
            .filter(reduce(or_, (Q(name__startswith=prefix) for prefix in prefixes)))
            .order_by("-started_at")
            .values_list("name", KeyTextTransform("sql", "metadata"))[:NAME_LOOKUP]
        )
        by_digest = {m["digest"]: component for component, m in shortened.items()}
        names = {}
        for name, sql in rows:
            digest = hashlib.sha256((sql or name).encode()).hexdigest()[:12]
            if digest in by_digest:
                names.setdefault(by_digest[digest], name)
        return names

    def _rolled_up_cache(self):
        found = self._rollup_totals(
            "period_stats.cache",
            "cache",
            ("response_time_ms", "cache_hit_ratio"),
            sums={
                "operations": observations("response_time_ms"),
                "hits": total("cache_hit_ratio"),
                "lookups": observations("cache_hit_ratio"),
            },
            maxima={},
        )
        return [
            {
                "alias": alias,
                "operations": row["operations"] or 0,
                "hits": round(row["hits"] or 0),
                "misses": (row["lookups"] or 0) - round(row["hits"] or 0),
            }
            for alias, row in sorted(found.items())[:MAX_GROUPS]
        ]


def busiest(rows, count_key):
    """The ``MAX_GROUPS`` rows with the highest ``count_key``, then by name."""
    return sorted(rows, key=lambda row: (-row[count_key], row["name"]))[:MAX_GROUPS]


def first_rows(queryset, key, groups, per_group=None, order_by="-started_at", **fields):
    """``{group: [row, ...]}``: up to ``per_group`` (default ``SAMPLE_SIZE``) rows of each of
    ``groups``, the first by ``order_by`` among the first ``per_group x len(groups)`` rows of
    them all. One query that reads a bounded number of rows (numbering each group's rows
    with a window function sorted every row of the window: seconds over a week of data),
    at the price of fewer samples for a quiet group beside a busy one."""
    if not groups:
        return {}
    limit = per_group or SAMPLE_SIZE
    recent = (
        queryset.annotate(key=key)
        .filter(key__in=list(groups))
        .order_by(order_by)
        .values("key", **fields)[: limit * len(groups)]
    )
    rows = defaultdict(list)
    for row in recent:
        if len(rows[row["key"]]) < limit:
            rows[row["key"]].append(row)
    return rows
