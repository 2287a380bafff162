"""Aggregates of one time window, computed once and shared by whoever needs them: the
recommendation rules and the performance report read the same per-route, per-query and
per-cache figures, so each costs one scan of its layer's steps, not one per reader.

Every query is restricted to the window (the ``started_at`` indexes) and aggregates in the
database; each aggregate keeps at most ``MAX_GROUPS`` groups, the busiest.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.db.models import Avg, Count, FloatField, IntegerField, Max, Q, Sum, TextField
from django.db.models import Value as V
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, NullIf

from flowscope.models import TraceStep, WorkflowSession

MAX_GROUPS = 1000  # routes, queries or cache aliases kept per aggregate
SAMPLE_SIZE = 500  # recent rows per group, for percentiles


def metadata_number(key, output_field=None):
    """A number from the metadata, NULL when absent or JSON null. (SQLite's key transform
    answers the text 'null' for a JSON null, which would cast to 0.)"""
    text = NullIf(KeyTextTransform(key, "metadata"), V("null"))
    return Cast(text, output_field or FloatField())


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
        return WorkflowSession.objects.filter(started_at__gte=self.since, started_at__lt=self.until)

    @cached_property
    def routes(self):
        """``{route: row}`` of the API steps, busiest first: requests, errors, durations,
        response sizes and queries per request."""
        rows = (
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
        return {row["name"]: row for row in rows}

    @cached_property
    def queries(self):
        """``{query: row}`` of the database steps, most frequent first: count and durations.
        A query is its step's name: the normalized SQL (cut at 500 characters), or the
        span name an OpenTelemetry exporter sent."""
        rows = (
            self.steps("database")
            .values("name")
            .annotate(count=Count("id"), avg_ms=Avg("duration_ms"), max_ms=Max("duration_ms"))
            .order_by("-count", "name")[:MAX_GROUPS]
        )
        return {row["name"]: row for row in rows}

    @cached_property
    def cache(self):
        """Per cache alias: operations, and hits and misses of lookups (``hit`` of get and
        has_key, ``hits``/``misses`` of get_many)."""
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
