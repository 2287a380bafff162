"""The performance report: per route and per query over a period, with the slowest
workflows, the cache, the process, alerts and recommendations.

Bounded whatever the data: counts and sums aggregate in the database, once, in the
period's ``PeriodStats`` that the recommendations read too; percentiles come from the most
recent ``SAMPLE`` steps of each of the TOP groups.
"""

from flowscope.analysis import performance, steps, workflows
from flowscope.analysis.period_stats import PeriodStats
from flowscope.analysis.recommendations import recommend
from flowscope.models import Layer
from flowscope.percentiles import percentile
from flowscope.reports import funnel
from flowscope.reports.budgets import budgets_section
from flowscope.reports.releases import release_changes
from flowscope.reports.sections import ms, ratio, table, text
from flowscope.reports.system_health import alerts

TOP = 25
SAMPLE = 800
# The layers whose tables are filled when the report is not narrowed to some.
DEFAULT_LAYERS = (Layer.API, Layer.DATABASE, Layer.CACHE)


def build(start, end, routes=(), layers=()):
    stats = PeriodStats(start, end)
    counts = steps.counts(start, end, routes, layers)
    shown = set(layers or DEFAULT_LAYERS)
    return {
        "title": f"Performance report: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
        "summary": {
            "Period start": start.isoformat(),
            "Period end": end.isoformat(),
            "Requests": counts["requests"],
            "Steps": counts["steps"],
        },
        "sections": [
            route_table(stats, routes, Layer.API in shown),
            query_table(stats, Layer.DATABASE in shown),
            slowest_workflows(start, end),
            release_changes(),
            budgets_section(start, end),
            funnel.section(start, end),
            cache_table(stats.cache if Layer.CACHE in shown else []),
            process_table(start, end),
            alerts(start, end),
            advice(stats),
        ],
    }


def _busiest(rows, count_key, only=None):
    """The TOP rows by ``count_key``, of those named in ``only`` when it is given."""
    chosen = [row for name, row in rows.items() if only is None or name in only]
    return sorted(chosen, key=lambda row: -row[count_key])[:TOP]


def _percentiles(stats, layer, rows):
    """``{name: sorted durations}`` of the most recent steps of each of ``rows``."""
    return steps.recent_durations(stats, layer, [row["name"] for row in rows], SAMPLE)


def _stats_row(row, count_key, values):
    return [
        row["name"],
        row[count_key],
        ms(percentile(values, 0.5)),
        ms(percentile(values, 0.95)),
        ms(percentile(values, 0.99)),
        ms(row["max_ms"]),
    ]


def route_table(stats, routes=(), shown=True):
    rows = _busiest(stats.routes, "requests", set(routes) or None) if shown else []
    samples = _percentiles(stats, Layer.API, rows)
    body = [
        [
            *_stats_row(row, "requests", samples.get(row["name"], [])),
            ms(row["avg_queries"]),
            ratio(row["errors"] / row["requests"]),
        ]
        for row in rows
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


def query_table(stats, shown=True):
    rows = _busiest(stats.queries, "count") if shown else []
    samples = _percentiles(stats, Layer.DATABASE, rows)
    return table(
        "queries",
        "Queries",
        ["SQL", "Count", "p50 (ms)", "p95 (ms)", "p99 (ms)", "Max (ms)"],
        [_stats_row(row, "count", samples.get(row["name"], [])) for row in rows],
    )


def slowest_workflows(start, end, limit=10):
    rows = workflows.slowest(start, end, limit)
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


def cache_table(aliases):
    return table(
        "cache",
        "Cache",
        ["Alias", "Operations", "Hits", "Misses", "Hit ratio"],
        [
            [
                row["alias"],
                row["operations"],
                row["hits"],
                row["misses"],
                ratio(row["hits"] / lookups if (lookups := row["hits"] + row["misses"]) else None),
            ]
            for row in aliases
        ],
    )


def process_table(start, end):
    rows = performance.process_readings(start, end)
    return table(
        "process",
        "Processes",
        ["Process", "Metric", "Average", "Max"],
        [[r["source"], r["metric"], round(r["avg"], 2), round(r["max"], 2)] for r in rows],
    )


def advice(stats):
    found = recommend(stats.since, stats.until, limit=None, stats=stats)
    body = "\n\n".join(
        f"[{r['severity']}] {r['title']}\n{r['explanation']}\nEvidence: "
        + ", ".join(f"{k}={v}" for k, v in r["evidence"].items() if k != "examples")
        + f"\nSuggestion: {r['suggestion']}"
        for r in found
    )
    return text("recommendations", "Recommendations", body or "None.")
