"""The funnel in the performance report: each step's journeys over the period, and what
stopped those that went no further (docs/funnel.md)."""

from flowscope.analysis.funnel import funnel
from flowscope.reports.sections import ms, ratio, table

COLUMNS = [
    "Step",
    "Reached",
    "Conversion",
    "Of started",
    "Stopped here",
    "Top errors of the stopped",
    "Slowest steps of the stopped (p95 ms)",
]


def section(start, end):
    found = funnel(start, end)
    rows = [
        [
            step["workflow_type"],
            step["reached"],
            ratio(step["conversion"]),
            ratio(step["of_started"]),
            step["stopped"],
            "; ".join(_error(error) for error in step["errors"]),
            "; ".join(_step(slow) for slow in step["slowest_steps"]),
        ]
        for step in found["steps"]
    ]
    note = f"{found['started']} journeys started the funnel (a workflow of its first step's type)."
    if not found["steps"]:
        note = "No funnel is declared: FLOWSCOPE['FUNNEL'] lists no steps (docs/funnel.md)."
    return table("funnel", "Funnel", COLUMNS, rows, note=note)


def _error(group):
    return f"{group['error_type']} x{group['count']} (error {group['latest_id']})"


def _step(step):
    return f"{step['layer']} {step['name']} {ms(step['p95_ms'])}"
