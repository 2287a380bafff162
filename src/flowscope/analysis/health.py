"""The health model: per layer, throughput, error rate and latency over a window, each
turned into a status by the thresholds (the user's dashboard configuration over settings).

Cost is bounded: one aggregate query for the counts and, per layer, one query for the
most recent durations, from which the percentiles come.

The counts follow the window rule of ``period_stats``: up to ``RAW_SPAN`` (2 hours) they
count the window's steps (by the (layer, started_at) index); longer windows sum the
rollups' per-minute ``layer_error_rate`` rows (one per layer and minute from each process),
so their cost grows with the minutes, not the steps. Both give the same error rates for the
same requests (the rollups also count unsampled ones, and a request in the minute it ended),
and the percentiles come from the same recent steps either way, so a layer's status does
not depend on which was read.
"""

from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast

from flowscope.analysis.period_stats import reads_rollups
from flowscope.analysis.rollup_hours import totals
from flowscope.analysis.workflows import synthetic_in
from flowscope.models import HEALTH_LAYERS, PerformanceSnapshot, TraceStep
from flowscope.percentiles import percentile
from flowscope.thresholds import evaluate

SAMPLE = 500
RANK = {"unknown": 0, "healthy": 1, "degraded": 2, "critical": 3}
STATUS_BY_SEVERITY = {"": "healthy", "warning": "degraded", "critical": "critical"}


def layer_health(since, until, thresholds=None):
    """``(overall_status, {layer: {...}})`` for the window ``[since, until)``."""
    minutes = max((until - since).total_seconds() / 60, 1 / 60)
    window = TraceStep.objects.filter(started_at__gte=since, started_at__lt=until).exclude(
        workflow__in=synthetic_in(since, until)  # manual test runs are not the system's health
    )
    counts = _rolled_up_counts(since, until) if reads_rollups(since, until) else _counts(window)
    samples = _recent_durations(window)
    layers = {
        layer: _layer(counts.get(layer), samples.get(layer, []), minutes, thresholds)
        for layer in HEALTH_LAYERS
    }
    known = [entry["status"] for entry in layers.values() if entry["status"] != "unknown"]
    overall = max(known, key=RANK.get) if known else "unknown"
    return overall, layers


def _counts(window):
    """``{layer: {"count", "errors"}}`` of the window's steps."""
    rows = window.values("layer").annotate(
        count=Count("id"), errors=Count("id", filter=Q(status="error"))
    )
    return {row["layer"]: row for row in rows}


def _rolled_up_counts(since, until):
    """``{layer: {"count", "errors"}}`` from the per-minute layer totals of every process
    (closed hours kept per process: ``rollup_hours``)."""
    found = totals(
        "health.layers",
        PerformanceSnapshot.objects.filter(metric="layer_error_rate"),
        ("layer",),
        {"steps": Sum("count"), "failed": Sum(F("value") * Cast("count", FloatField()))},
        {},
        since,
        until,
    )
    return {
        layer: {"count": row["steps"], "errors": round(row["failed"])}
        for (layer,), row in found.items()
        if row["steps"]
    }


def _recent_durations(window):
    """The most recent SAMPLE durations of each layer: one short index range scan per
    layer (on (layer, started_at)), whatever the window holds."""
    return {
        layer: list(
            window.filter(layer=layer)
            .order_by("-started_at")
            .values_list("duration_ms", flat=True)[:SAMPLE]
        )
        for layer in HEALTH_LAYERS
    }


def _layer(counts, durations, minutes, thresholds):
    if not counts:
        return {
            "status": "unknown",
            "count": 0,
            "throughput_rpm": 0.0,
            "error_rate": None,
            "p50_ms": None,
            "p95_ms": None,
        }
    durations.sort()
    error_rate = counts["errors"] / counts["count"]
    p95 = percentile(durations, 0.95)
    severities = [
        evaluate("error_rate", error_rate, thresholds)[1],
        evaluate("response_time_ms", p95, thresholds)[1],
    ]
    worst = max(severities, key=["", "warning", "critical"].index)
    return {
        "status": STATUS_BY_SEVERITY[worst],
        "count": counts["count"],
        "throughput_rpm": round(counts["count"] / minutes, 3),
        "error_rate": round(error_rate, 4),
        "p50_ms": percentile(durations, 0.5),
        "p95_ms": p95,
    }
