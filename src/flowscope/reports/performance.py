"""The performance report: per route and per query over a period, with the slowest
workflows, the cache, the process, alerts and recommendations.

Bounded whatever the data: counts and sums aggregate in the database; percentiles come from
the period's most recent SAMPLE steps of the TOP groups (one index range scan).
"""

from django.db.models import Avg, Count, FloatField, Max, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from flowscope.analysis.recommendations import recommend
from flowscope.analysis.rollups import percentile
from flowscope.models import PerformanceSnapshot, TraceStep, WorkflowSession
from flowscope.reports.sections import ms, ratio, table, text
from flowscope.reports.system_health import alerts

TOP = 25
SAMPLE = 20000


def build(start, end, routes=(), layers=()):
    steps = TraceStep.objects.filter(started_at__gte=start, started_at__lt=end)
    if layers:
        steps = steps.filter(layer__in=layers)
    api = steps.filter(layer="api")
    if routes:
        api = api.filter(name__in=routes)
    return {
        "title": f"Performance report: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
        "summary": {
            "Period start": start.isoformat(),
            "Period end": end.isoformat(),
            "Requests": api.count(),
            "Steps": steps.count(),
        },
        "sections": [
            route_table(api),
            query_table(steps.filter(layer="database")),
            slowest_workflows(start, end),
            cache_table(steps.filter(layer="cache")),
            process_table(start, end),
            alerts(start, end),
            advice(start, end),
        ],
    }


def _percentiles(queryset, group_field, groups):
    """``{group: sorted durations}`` from the period's most recent SAMPLE steps (an index
    range scan on started_at): percentiles of what happened lately, at a bounded cost."""
    samples = {}
    recent = (
        queryset.filter(**{f"{group_field}__in": groups})
        .order_by("-started_at")
        .values_list(group_field, "duration_ms")[:SAMPLE]
    )
    for group, duration in recent:
        samples.setdefault(group, []).append(duration)
    return {group: sorted(values) for group, values in samples.items()}


def _stats_rows(rows, samples, key):
    out = []
    for row in rows:
        values = samples.get(row[key], [])
        out.append(
            [
                row[key],
                row["count"],
                ms(percentile(values, 0.5)),
                ms(percentile(values, 0.95)),
                ms(percentile(values, 0.99)),
                ms(row["max"]),
            ]
        )
    return out


def route_table(api):
    rows = list(
        api.values("name")
        .annotate(
            count=Count("id"),
            max=Max("duration_ms"),
            queries=Avg(Cast(KT("metadata__query_count"), FloatField())),
            errors=Count("id", filter=Q(status="error")),
        )
        .order_by("-count")[:TOP]
    )
    samples = _percentiles(api, "name", [row["name"] for row in rows])
    body = [
        [*stats, ms(row["queries"]), ratio(row["errors"] / row["count"])]
        for stats, row in zip(_stats_rows(rows, samples, "name"), rows, strict=True)
    ]
    return table(
        "routes",
        "Routes",
        [
            "Route",
            "Requests",
            "p50 (ms)",
            "p95 (ms)",
            "p99 (ms)",
            "Max (ms)",
            "Queries / request",
            "Error rate",
        ],
        body,
    )


def query_table(queries):
    rows = list(
        queries.values("name")
        .annotate(count=Count("id"), max=Max("duration_ms"))
        .order_by("-count")[:TOP]
    )
    samples = _percentiles(queries, "name", [row["name"] for row in rows])
    return table(
        "queries",
        "Queries",
        ["SQL", "Count", "p50 (ms)", "p95 (ms)", "p99 (ms)", "Max (ms)"],
        _stats_rows(rows, samples, "name"),
    )


def slowest_workflows(start, end, limit=10):
    rows = WorkflowSession.objects.filter(
        started_at__gte=start, started_at__lt=end, duration_ms__isnull=False
    ).order_by("-duration_ms")[:limit]
    return table(
        "slowest_workflows",
        "Slowest workflows",
        ["Correlation ID", "Type", "Status", "Duration (ms)", "Requests", "Errors"],
        [
            [
                w.correlation_id,
                w.workflow_type,
                w.status,
                ms(w.duration_ms),
                w.request_count,
                w.error_count,
            ]
            for w in rows
        ],
    )


def cache_table(cache_steps):
    rows = cache_steps.values("metadata__alias").annotate(
        hits=Count("id", filter=Q(metadata__hit=True)),
        misses=Count("id", filter=Q(metadata__hit=False)),
        operations=Count("id"),
    )
    return table(
        "cache",
        "Cache",
        ["Alias", "Operations", "Hits", "Misses", "Hit ratio"],
        [
            [
                r["metadata__alias"],
                r["operations"],
                r["hits"],
                r["misses"],
                ratio(r["hits"] / (r["hits"] + r["misses"]) if r["hits"] + r["misses"] else None),
            ]
            for r in rows
        ],
    )


def process_table(start, end):
    rows = (
        PerformanceSnapshot.objects.filter(
            layer="process", window_start__gte=start, window_start__lt=end
        )
        .values("source", "metric")
        .annotate(avg=Avg("value"), max=Max("value"))
        .order_by("source", "metric")
    )
    return table(
        "process",
        "Processes",
        ["Process", "Metric", "Average", "Max"],
        [[r["source"], r["metric"], round(r["avg"], 2), round(r["max"], 2)] for r in rows],
    )


def advice(start, end):
    found = recommend(start, end, limit=None)
    body = "\n\n".join(
        f"[{r['severity']}] {r['title']}\n{r['explanation']}\nEvidence: "
        + ", ".join(f"{k}={v}" for k, v in r["evidence"].items() if k != "examples")
        + f"\nSuggestion: {r['suggestion']}"
        for r in found
    )
    return text("recommendations", "Recommendations", body or "None.")
