"""Everything the dashboard's overview shows, for one window, in a bounded number of
queries: aggregation happens in the database, lists are capped."""

from django.db.models import F, FloatField, Max, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from flowscope.analysis import budgets, errors, health, recommendations, workflows
from flowscope.analysis.rollup_hours import RollupWindow
from flowscope.models import PerformanceSnapshot

LIST_SIZE = 10


def dashboard_data(since, until, thresholds, window_name):
    overall, layers = health.layer_health(since, until, thresholds)
    return {
        "window": {"name": window_name, "since": since, "until": until},
        "system_health": {
            "overall_status": overall,
            "layers": layers,
            "over_budget": budgets.over_budget_in(since, until),
        },
        "active_workflows": workflows.active(LIST_SIZE * 2),
        "recent_errors": errors.recent_groups(since, LIST_SIZE),
        "performance_metrics": performance_metrics(since, layers),
        "optimization_recommendations": recommendations.recommend(
            since, until, thresholds=thresholds, limit=5
        ),
        "generated_at": timezone.now(),
    }


def performance_metrics(since, layers):
    snapshots = RollupWindow(since, timezone.now())
    return {
        "layers": {
            layer: {
                key: entry[key]
                for key in ("count", "throughput_rpm", "error_rate", "p50_ms", "p95_ms")
            }
            for layer, entry in layers.items()
        },
        "slowest_routes": slowest(snapshots, "api"),
        "slowest_queries": slowest(snapshots, "database"),
        "cache_hit_ratio": cache_hit_ratio(snapshots),
        "process": process(snapshots),
    }


def slowest(snapshots, layer):
    """Components by their worst minute's p95 (rollups from every process, combined)."""
    found = snapshots.totals(
        f"overview.slowest.{layer}",
        PerformanceSnapshot.objects.filter(metric="response_time_ms", layer=layer).exclude(
            component="*"
        ),
        ("component",),
        sums={"requests": Sum("count"), "total_ms": Sum(F("value") * Cast("count", FloatField()))},
        maxima={"p95_ms": Max("p95"), "p99_ms": Max("p99")},
    )
    ranked = sorted(found.items(), key=lambda item: -(item[1]["p95_ms"] or 0))[:LIST_SIZE]
    return [
        {
            "component": component,
            "count": row["requests"],
            "p95_ms": row["p95_ms"],
            "p99_ms": row["p99_ms"],
            "avg_ms": row["total_ms"] / row["requests"],
        }
        for (component,), row in ranked
        if row["requests"]
    ]


def cache_hit_ratio(snapshots):
    found = snapshots.totals(
        "overview.cache_hit_ratio",
        PerformanceSnapshot.objects.filter(metric="cache_hit_ratio"),
        (),
        sums={"lookups": Sum("count"), "hits": Sum(F("value") * Cast("count", FloatField()))},
        maxima={},
    )
    row = found.get((), {})
    return row["hits"] / row["lookups"] if row.get("lookups") else None


def process(snapshots):
    """The latest CPU and memory reading of each serving process."""
    readings = PerformanceSnapshot.objects.filter(
        layer="process", metric__in=("cpu_percent", "memory_mb")
    )
    found = snapshots.totals(
        "overview.process", readings, ("source",), sums={}, maxima={"last": Max("window_start")}
    )
    latest = sorted(found.items(), key=lambda item: item[1]["last"], reverse=True)[:LIST_SIZE]
    result = {}
    for reading in readings.filter(
        source__in=[source for (source,), _ in latest],
        window_start__in=[row["last"] for _, row in latest],
    ):
        result.setdefault(reading.source, {})[reading.metric] = reading.value
    return [{"source": source, **values} for source, values in result.items()]
