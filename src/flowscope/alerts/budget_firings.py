"""``latency_budget`` rules: a budgeted workflow type whose p95, in all, in a layer or in a
step, went over its budget (``FLOWSCOPE["BUDGETS"]``) over the rule's window; one firing per
line over, naming the layer or step.

A batch in which a workflow of the type ended asks the read model for the type's budget
used (``analysis.budgets``: a count and up to SAMPLE workflows' steps). That is the most
costly question a rule asks, so each type is asked at most once per CHECK_EVERY seconds in a
process; a budget gone over is still found within that time.
"""

import logging
from datetime import timedelta

from flowscope.alerts.firings import UNTYPED, Firing
from flowscope.alerts.wording import plural, quantity, span_of
from flowscope.analysis.budget_settings import BudgetError, configured_budgets
from flowscope.analysis.budgets import COUNTED, TOTAL, budget_lines, usage_of
from flowscope.models import WorkflowSession

logger = logging.getLogger("flowscope.alerts")
CHECK_EVERY = timedelta(seconds=30)
WORKFLOW = WorkflowSession.Kind.WORKFLOW.value


class BudgetChecks:
    """One an evaluator: when each workflow type's budget was last looked at."""

    def __init__(self):
        self.checked_at = {}

    def __call__(self, rule, batch, at):
        budgets = _budgets()
        listed = rule.options["workflow_types"]
        for workflow_type in sorted(_types_that_ended(batch) & set(budgets)):
            if (listed and workflow_type not in listed) or not self._due(workflow_type, at):
                continue
            window = rule.options["window_seconds"]
            usage = usage_of(budgets[workflow_type], at - timedelta(seconds=window), at)
            if usage["workflows"] >= rule.options["min_count"]:
                yield from _firings(rule, usage, window)

    def _due(self, workflow_type, at):
        last = self.checked_at.get(workflow_type)
        if last is not None and at - last < CHECK_EVERY:
            return False
        self.checked_at[workflow_type] = at
        return True


def _budgets():
    try:
        return configured_budgets()
    except BudgetError as exc:  # the system check names it; alerts wait for a fix
        logger.error("flowscope latency budgets are off: BUDGETS: %s", exc)
        return {}


def _types_that_ended(batch):
    if not (batch.new_workflow_rows or batch.updated_workflows):
        return set()
    return {
        w.workflow_type
        for w in batch.workflows
        if w.status in COUNTED
        and w.kind == WORKFLOW
        and "synthetic" not in w.metadata
        and batch.previous_status.get(w.correlation_id) != w.status
        and w.workflow_type != UNTYPED
    }


def _firings(rule, usage, window):
    for kind, line in budget_lines(usage):
        if line["over"]:
            yield _firing(rule, usage, kind, line, window)


def _firing(rule, usage, kind, line, window):
    workflow_type, name = usage["workflow_type"], line["name"]
    where = {TOTAL: workflow_type, "step": f"{workflow_type} step {name}"}.get(
        kind, f"{workflow_type} {name}"
    )
    # A step's p95 is over the workflows that had it.
    counted = line["workflows"] if kind == "step" else usage["workflows"]
    over = f"{quantity(line['p95_ms'], 'ms')} over {quantity(line['budget_ms'], 'ms')}"
    context = f"{span_of(window)}, {plural(counted, 'workflow')}"
    return Firing(
        rule,
        subject=f"{workflow_type}:{name}",
        value=line["p95_ms"],
        threshold=line["budget_ms"],
        unit="ms",
        message=f"{where} over budget: p95 {over}, {line['used_percent']:,.0f} % used ({context})",
        details={
            "workflow_type": workflow_type,
            "step" if kind == "step" else "layer": name,
            "used_percent": line["used_percent"],
            "workflows": counted,
            "sampled": usage["sampled"],
            "window_seconds": window,
        },
    )
