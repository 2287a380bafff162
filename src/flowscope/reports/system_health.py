"""The system health report: how the system did over a period, and against the one before."""

from flowscope.analysis import errors, performance, steps, workflows
from flowscope.analysis.health import layer_health
from flowscope.models import HEALTH_LAYERS, WorkflowSession
from flowscope.reports.budgets import budgets_section
from flowscope.reports.sections import ms, ratio, table

MAX_ALERTS = 50


def previous(start, end):
    """The period of the same length just before."""
    return start - (end - start), start


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
            budgets_section(start, end),
            alerts(start, end),
            trend(start, end, *before, health),
        ],
    }


def success_rate(counts):
    ended = sum(counts[status] for status in WorkflowSession.ENDED)
    return counts[WorkflowSession.Status.COMPLETED] / ended if ended else None


def summary(start, end, health):
    counts = workflows.outcomes(start, end)
    overall, _ = health
    return {
        "Period start": start.isoformat(),
        "Period end": end.isoformat(),
        "Overall status": overall,
        "Workflows": counts["total"],
        "Success rate": ratio(success_rate(counts)),
        "Errors": errors.count(start, end),
    }


def workflows_by_type(start, end):
    rows = workflows.outcomes_by_type(start, end)
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
    rows = errors.count_by(start, end, field)
    return table(
        f"errors_by_{field}",
        f"Errors by {field}",
        [field.title(), "Count"],
        [[r[field], r["count"]] for r in rows],
    )


def top_errors(start, end, limit=10):
    groups = errors.top_groups(start, end, limit)
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
    rows = steps.per_layer_over_time(start, end)
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
        ],
    )


def alerts(start, end):
    rows, total = performance.alerts(start, end, MAX_ALERTS)
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
        note=f"{total} in all; the latest {MAX_ALERTS} listed.",
    )


def trend(start, end, previous_start, previous_end, health):
    now = workflows.outcomes(start, end)
    then = workflows.outcomes(previous_start, previous_end)
    errors_now, errors_then = errors.count(start, end), errors.count(previous_start, previous_end)
    _, layers_now = health
    _, layers_then = layer_health(previous_start, previous_end)
    rows = [
        _delta("Workflows", now["total"], then["total"]),
        _delta("Success rate", ratio(success_rate(now)), ratio(success_rate(then))),
        _delta("Errors", errors_now, errors_then),
    ]
    for layer in HEALTH_LAYERS:
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
