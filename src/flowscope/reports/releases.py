"""The performance report's release section: what got slower, chattier or fails more from
the release before the latest to the latest, with the query and call site behind each."""

from flowscope.analysis import releases
from flowscope.reports.sections import ms, ratio, table, text

COLUMNS = [
    "Workflow type",
    "Step",
    "Changes",
    "p95 before (ms)",
    "p95 after (ms)",
    "Queries/request before",
    "Queries/request after",
    "Error rate after",
    "Query behind it",
    "Call site",
]


def release_changes():
    pair = releases.latest_pair()
    if pair is None:
        return text(
            "releases",
            "Release comparison",
            "Fewer than two releases seen: set RELEASE at each deploy to compare them.",
        )
    comparison = releases.compare(*pair)
    return table(
        "releases",
        f"Release comparison: {pair[0]} to {pair[1]}",
        COLUMNS,
        [_row(change) for change in comparison["changes"]],
        note=f"The latest release against the one before it; p95 and per-step figures "
        f"from the latest {comparison['sample_size']} workflows of each.",
    )


def _row(change):
    base, head = change["base"], change["head"]
    query = change["queries"][0] if change["queries"] else None
    return [
        change["workflow_type"],
        change["step"],
        ", ".join(change["changes"]),
        ms(base["p95_ms"]),
        ms(head["p95_ms"]),
        base["queries_per_request"],
        head["queries_per_request"],
        ratio(head["error_rate"]),
        query["sql"] if query else None,
        _site(query["call_site"]) if query else None,
    ]


def _site(site):
    return f"{site['file']}:{site['line']} in {site['function']}" if site else None
