"""The performance rollups as stored; as a chart-ready time series (one point per window,
every process and component combined, weighted by count); the alerts they raised and the
serving processes' readings over a period."""

from django.db.models import Avg, F, FloatField, Max, Sum
from django.db.models.functions import Cast

from flowscope.models import PerformanceSnapshot

# The metrics of the rollups, each of which a threshold can judge ...
METRICS = ("response_time_ms", "error_rate", "query_count", "cache_hit_ratio", "throughput_rpm")
# ... and those with the serving processes' readings.
SERIES_METRICS = (*METRICS, "cpu_percent", "memory_mb", "threads")
# Summed over processes per window, where the others are averaged.
ADDITIVE = ("throughput_rpm",)


def rollups():
    """Every rollup and alert, newest window first."""
    return PerformanceSnapshot.objects.order_by("-window_start", "id")


def rollups_of(metric, since, until):
    return PerformanceSnapshot.objects.filter(
        metric=metric, window_start__gte=since, window_start__lt=until
    )


def points(snapshots, metric, per_component):
    """``snapshots`` (of one metric) combined per window. Unless ``per_component`` (a
    component was asked for), the per-component rows are read, except for throughput,
    whose total row (``*``) is."""
    if metric in ADDITIVE:
        snapshots = snapshots.filter(component="*")
    elif not per_component:
        snapshots = snapshots.exclude(component="*")
    rows = (
        snapshots.values("window_start")
        .order_by("window_start")
        .annotate(
            observations=Sum("count"),
            p95=Max("p95"),
            p99=Max("p99"),
            weighted=Sum(F("value") * Cast("count", FloatField())),
            total=Sum("value"),
        )
    )
    return [_point(row, metric in ADDITIVE) for row in rows]


def _point(row, additive):
    if additive:
        value = row["total"]
    else:
        value = row["weighted"] / row["observations"] if row["observations"] else None
    return {
        "t": row["window_start"],
        "count": row["observations"],
        "p95": row["p95"],
        "p99": row["p99"],
        "value": value,
    }


def alerts(start, end, limit):
    """``(latest limit alerts of windows in [start, end), how many in all)``."""
    raised = PerformanceSnapshot.objects.filter(
        is_alert=True, window_start__gte=start, window_start__lt=end
    )
    return list(raised.order_by("-window_start")[:limit]), raised.count()


def process_readings(start, end):
    """``[{"source", "metric", "avg", "max"}]`` of every process metric over the period."""
    return list(
        PerformanceSnapshot.objects.filter(
            layer="process", window_start__gte=start, window_start__lt=end
        )
        .values("source", "metric")
        .annotate(avg=Avg("value"), max=Max("value"))
        .order_by("source", "metric")
    )
