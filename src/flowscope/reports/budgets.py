"""The latency budgets section of the system health and performance reports: per budgeted
workflow type, the p95 of its total, of each layer and of each budgeted step against the
budget over the period."""

from flowscope.analysis.budget_settings import BudgetError
from flowscope.analysis.budgets import SAMPLE, budget_lines, budget_usage
from flowscope.reports.sections import ms, table

COLUMNS = ["Type", "Budget of", "Workflows", "p95 (ms)", "Budget (ms)", "Used (%)", "Over"]


def budgets_section(start, end):
    try:
        usages, note = budget_usage(start, end), ""
    except BudgetError as exc:
        usages, note = [], f"FLOWSCOPE['BUDGETS'] cannot be read: {exc}."
    if not note and not usages:
        note = "No budgets: FLOWSCOPE['BUDGETS'] declares none."
    elif any(usage["sampled"] < usage["workflows"] for usage in usages):
        note = f"A type with more than {SAMPLE} workflows is judged on its latest {SAMPLE}."
    rows = [
        [
            usage["workflow_type"],
            f"step {line['name']}" if kind == "step" else line["name"],
            line["workflows"] if kind == "step" else usage["workflows"],
            ms(line["p95_ms"]),
            line["budget_ms"],
            line["used_percent"],
            "over" if line["over"] else "",
        ]
        for usage in usages
        for kind, line in budget_lines(usage)
    ]
    return table("budgets", "Latency budgets", COLUMNS, rows, note=note)
