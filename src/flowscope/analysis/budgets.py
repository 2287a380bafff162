"""Latency budgets used over a window: per budgeted workflow type, the p95 of its workflows'
total time, of each layer's time and of each budgeted step's time per workflow, against the
budget, in ms and percent.

Only real traffic counts (``WorkflowQuerySet.real_traffic``), and only workflows that
completed or failed in the window: one in progress has not taken its time yet, one that
timed out took the time of nobody's waiting. A workflow's total is its recorded duration;
a layer's time is its steps' self time (``timing.time_per_layer``), so a request's API time
leaves out its queries, and a workflow without a step in the layer counts 0 ms there. A
step's time is measured the same way, the self time of the workflow's steps of that name
summed, so that a step's line is a part of its layer's; but a workflow without the step is
left out of that line (a checkout paid by voucher has no payment call to be slow).

Cost is bounded: one count and one indexed read of the latest SAMPLE workflows per type
(on (workflow_type, started_at)), then their steps in one read, one workflow's at a time,
whatever the number of step names. A window holding more than SAMPLE of a type is judged on
its latest SAMPLE, and says so (``sampled`` below ``workflows``).
"""

from flowscope.analysis import workflows
from flowscope.analysis.budget_settings import BudgetError, configured_budgets, step_of
from flowscope.models import WorkflowSession
from flowscope.percentiles import percentile

SAMPLE = 500
COUNTED = (WorkflowSession.Status.COMPLETED.value, WorkflowSession.Status.FAILED.value)
TOTAL = "total"


def budget_usage(since, until, budgets=None, sample=SAMPLE):
    """``[usage]`` of every budget (``configured_budgets()`` unless given), by workflow
    type: see ``usage_of``."""
    budgets = configured_budgets() if budgets is None else budgets
    return [usage_of(budget, since, until, sample) for _, budget in sorted(budgets.items())]


def usage_of(budget, since, until, sample=SAMPLE):
    """``{"workflow_type", "workflows", "sampled", "total", "layers", "steps", "over"}``:
    ``total`` (None without a total budget) and each of ``layers`` and ``steps`` is
    ``{"name", "budget_ms", "p95_ms", "used_percent", "over"}`` (p95 None without
    workflows), a step's with ``workflows``, how many of those sampled had the step;
    ``over`` names what went over its budget, the total first, the steps last."""
    counted = _counted(budget.workflow_type, since, until)
    latest = list(counted.order_by("-started_at").values_list("pk", "duration_ms")[:sample])
    ids = [pk for pk, _ in latest]
    lines = []
    if budget.total_ms is not None:
        lines.append(_line(TOTAL, budget.total_ms, [duration or 0.0 for _, duration in latest]))
    timed = _timed(budget, ids)
    for layer, budget_ms in budget.layers.items():
        times = [timed.get(pk, NOTHING)[0].get(layer, {}).get("self_ms", 0.0) for pk in ids]
        lines.append(_line(layer, budget_ms, times))
    steps = [_step_line(key, budget_ms, timed, ids) for key, budget_ms in budget.steps.items()]
    total = lines[0] if lines and lines[0]["name"] == TOTAL else None
    return {
        "workflow_type": budget.workflow_type,
        "workflows": counted.count() if len(ids) == sample else len(ids),
        "sampled": len(ids),
        "total": total,
        "layers": [line for line in lines if line is not total],
        "steps": steps,
        "over": [line["name"] for line in lines + steps if line["over"]],
    }


NOTHING = ({}, {})


def _timed(budget, ids):
    """``{workflow id: (layers, steps)}`` (``workflows.time_per_layer_and_step``) of the
    sampled workflows, when a layer or step is budgeted."""
    if not ids or not (budget.layers or budget.steps):
        return {}
    names = {step_of(key)[1] for key in budget.steps}
    return workflows.time_per_layer_and_step(ids, names)


def _step_line(key, budget_ms, timed, ids):
    layer, name = step_of(key)
    times = []
    for pk in ids:
        found = [
            ms
            for (step_layer, step_name), ms in timed.get(pk, NOTHING)[1].items()
            if step_name == name and layer in (None, step_layer)
        ]
        if found:
            times.append(sum(found))
    return {**_line(key, budget_ms, times), "workflows": len(times)}


def _counted(workflow_type, since, until):
    return WorkflowSession.objects.real_traffic().filter(
        workflow_type=workflow_type,
        started_at__gte=since,
        started_at__lt=until,
        status__in=COUNTED,
    )


def _line(name, budget_ms, times):
    p95 = percentile(sorted(times), 0.95)
    used = None if p95 is None else round(p95 / budget_ms * 100, 1)
    return {
        "name": name,
        "budget_ms": budget_ms,
        "p95_ms": None if p95 is None else round(p95, 3),
        "used_percent": used,
        "over": p95 is not None and p95 > budget_ms,
    }


def over_budget(usages):
    """``[{"workflow_type", "kind", "name", "p95_ms", "budget_ms", "used_percent"}]``: what
    went over (``kind`` "total", "layer" or "step"), most over first (for the health view)."""
    found = [
        {"workflow_type": usage["workflow_type"], "kind": kind, **_brief(line)}
        for usage in usages
        for kind, line in budget_lines(usage)
        if line["over"]
    ]
    return sorted(found, key=lambda item: -item["used_percent"])


def budget_lines(usage):
    """``(kind, line)`` of a usage's lines in the order shown: total, layers, steps."""
    yield from ((TOTAL, line) for line in [usage["total"]] if line)
    yield from (("layer", line) for line in usage["layers"])
    yield from (("step", line) for line in usage["steps"])


def _brief(line):
    return {key: line[key] for key in ("name", "p95_ms", "budget_ms", "used_percent")}


def over_budget_in(since, until):
    """``over_budget`` of the window; nothing while BUDGETS cannot be read (the system
    check and budgets/ say why)."""
    try:
        return over_budget(budget_usage(since, until))
    except BudgetError:
        return []
