"""The system health report: how the system did over a period, and against the one before."""

from django.db.models import Count, Q
from django.db.models.functions import TruncHour, TruncMinute

from flowscope.analysis import error_groups
from flowscope.analysis.health import LAYERS, layer_health
from flowscope.models import ErrorLog, PerformanceSnapshot, TraceStep, WorkflowSession
from flowscope.reports.periods import previous
from flowscope.reports.sections import ms, ratio, table

ENDED = ("completed", "failed", "timed_out")
MAX_ALERTS = 50


def build(start, end):
    before = previous(start, end)
    health = layer_health(start, end)  # the summary's status and the trend's p95s
    return {
        "title": f"System health report: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
        "summary": summary(start, end, health),
        "sections": [
            workflows_by_type(start, end),
            errors_by(start, end, "layer"),
            errors_by(start, end, "severity"),
            top_errors(start, end),
            layer_series(start, end),
            alerts(start, end),
            trend(start, end, *before, health),
        ],
    }


def workflow_counts(start, end):
    return WorkflowSession.objects.filter(started_at__gte=start, started_at__lt=end).aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status="completed")),
        failed=Count("id", filter=Q(status="failed")),
        timed_out=Count("id", filter=Q(status="timed_out")),
    )


def success_rate(counts):
    ended = counts["completed"] + counts["failed"] + counts["timed_out"]
    return counts["completed"] / ended if ended else None


def summary(start, end, health):
    counts = workflow_counts(start, end)
    overall, _ = health
    return {
        "Period start": start.isoformat(),
        "Period end": end.isoformat(),
        "Overall status": overall,
        "Workflows": counts["total"],
        "Success rate": ratio(success_rate(counts)),
        "Errors": ErrorLog.objects.filter(created_at__gte=start, created_at__lt=end).count(),
    }


def workflows_by_type(start, end):
    rows = (
        WorkflowSession.objects.filter(started_at__gte=start, started_at__lt=end)
        .values("workflow_type")
        .annotate(
            total=Count("id"),
            completed=Count("id", filter=Q(status="completed")),
            failed=Count("id", filter=Q(status="failed")),
            timed_out=Count("id", filter=Q(status="timed_out")),
            in_progress=Count("id", filter=Q(status="in_progress")),
        )
        .order_by("-total", "workflow_type")
    )
    return table(
        "workflows",
        "Workflows by type",
        ["Type", "Total", "Completed", "Failed", "Timed out", "In progress", "Success rate"],
        [
            [
                r["workflow_type"],
                r["total"],
                r["completed"],
                r["failed"],
                r["timed_out"],
                r["in_progress"],
                ratio(success_rate(r)),
            ]
            for r in rows
        ],
    )


def errors_by(start, end, field):
    rows = (
        ErrorLog.objects.filter(created_at__gte=start, created_at__lt=end)
        .values(field)
        .annotate(count=Count("id"))
        .order_by("-count", field)
    )
    return table(
        f"errors_by_{field}",
        f"Errors by {field}",
        [field.title(), "Count"],
        [[r[field], r["count"]] for r in rows],
    )


def top_errors(start, end, limit=10):
    groups = error_groups.describe(
        error_groups.grouped(ErrorLog.objects.filter(created_at__gte=start, created_at__lt=end))[
            :limit
        ]
    )
    return table(
        "top_errors",
        "Top error groups",
        ["Type", "Message", "Layer", "Severity", "Count", "First seen", "Last seen"],
        [
            [
                g["error_type"],
                g["message"],
                g["layer"],
                g["severity"],
                g["count"],
                g["first_seen"].isoformat(),
                g["last_seen"].isoformat(),
            ]
            for g in groups
        ],
    )


def layer_series(start, end):
    """Steps and error rate per layer and hour (per 10 minutes for periods up to 6 hours)."""
    short = (end - start).total_seconds() <= 6 * 3600
    trunc = TruncMinute("started_at") if short else TruncHour("started_at")
    rows = (
        TraceStep.objects.filter(started_at__gte=start, started_at__lt=end)
        .annotate(bucket=trunc)
        .values("bucket", "layer")
        .annotate(count=Count("id"), errors=Count("id", filter=Q(status="error")))
        .order_by("bucket", "layer")
    )
    if short:  # minutes folded into 10-minute buckets here, in Python: at most 36 x 5 rows
        rows = _fold(rows, 10)
    return table(
        "layer_health",
        "Per-layer health over time",
        ["Time", "Layer", "Steps", "Errors", "Error rate"],
        [
            [
                r["bucket"].isoformat(),
                r["layer"],
                r["count"],
                r["errors"],
                ratio(r["errors"] / r["count"] if r["count"] else None),
            ]
            for r in rows
            if r["layer"] in LAYERS
        ],
    )


def _fold(rows, minutes):
    folded = {}
    for row in rows:
        bucket = row["bucket"].replace(minute=row["bucket"].minute // minutes * minutes)
        entry = folded.setdefault(
            (bucket, row["layer"]),
            {"bucket": bucket, "layer": row["layer"], "count": 0, "errors": 0},
        )
        entry["count"] += row["count"]
        entry["errors"] += row["errors"]
    return list(folded.values())


def alerts(start, end):
    raised = PerformanceSnapshot.objects.filter(
        is_alert=True, window_start__gte=start, window_start__lt=end
    )
    rows = raised.order_by("-window_start")[:MAX_ALERTS]
    return table(
        "alerts",
        "Alerts raised",
        ["Window", "Metric", "Layer", "Component", "Value", "Threshold", "Severity"],
        [
            [
                a.window_start.isoformat(),
                a.metric,
                a.layer,
                a.component,
                round(a.value, 3),
                a.threshold,
                a.severity,
            ]
            for a in rows
        ],
        note=f"{raised.count()} in all; the latest {MAX_ALERTS} listed.",
    )


def trend(start, end, previous_start, previous_end, health):
    now, then = workflow_counts(start, end), workflow_counts(previous_start, previous_end)
    errors_now = ErrorLog.objects.filter(created_at__gte=start, created_at__lt=end).count()
    errors_then = ErrorLog.objects.filter(
        created_at__gte=previous_start, created_at__lt=previous_end
    ).count()
    _, layers_now = health
    _, layers_then = layer_health(previous_start, previous_end)
    rows = [
        _delta("Workflows", now["total"], then["total"]),
        _delta("Success rate", ratio(success_rate(now)), ratio(success_rate(then))),
        _delta("Errors", errors_now, errors_then),
    ]
    for layer in LAYERS:
        rows.append(
            _delta(
                f"{layer} p95 (ms)",
                ms(layers_now[layer]["p95_ms"]),
                ms(layers_then[layer]["p95_ms"]),
            )
        )
    return table(
        "trend",
        "Against the previous period",
        ["Measure", "This period", "Previous period", "Change"],
        rows,
    )


def _delta(label, now, then):
    change = round(now - then, 4) if now is not None and then is not None else None
    return [label, now, then, change]
