"""The drop-off funnel: how many journeys (a browser session's workflows) went through each
of ``FLOWSCOPE["FUNNEL"]``'s workflow types, and what those that stopped at a step met.

What counts, over the workflows of real traffic that started in the window:

- A journey **started** the funnel when it has a workflow of the first step's type, in any
  status.
- It **reached** step k when it has a *completed* workflow of each type of steps 1..k, in
  any order (people browse before they sign in). Completed after failed attempts counts:
  the retry recovered it. A workflow that failed, timed out or is still in progress does
  not, so a failed checkout that nobody retried is a drop at the checkout.
- It **stopped** at step k when it reached step k-1 (step 1: when it started) but not k.
  What they met there: the error groups of those journeys' workflows (errors that fail a
  workflow) and their slowest steps by p95.

Counting aggregates in the database: one grouped query (a row per journey) counted once
per step; each drop's errors and step durations are read through it as a subquery, never
as a list of journey ids.
"""

from functools import reduce
from operator import mul

from django.db.models import Case, Count, F, IntegerField, Max, Q, Value, When
from django.db.models.functions import Concat

from flowscope.analysis.period_stats import SAMPLE_SIZE, first_rows
from flowscope.conf import flowscope_settings
from flowscope.models import ErrorLog, Severity, TraceStep, WorkflowSession
from flowscope.percentiles import percentile

TOP = 5  # error groups and slowest steps listed at each drop
CANDIDATES = 20  # steps by their longest duration whose p95 is computed at each drop
FAILING = (Severity.ERROR, Severity.CRITICAL)  # what fails a workflow


def funnel(since, until, steps=None):
    """``{"started", "steps": [{"workflow_type", "reached", "conversion", "of_started",
    "stopped", "errors", "slowest_steps"}]}`` of the journeys in ``[since, until)``."""
    steps = list(steps if steps is not None else flowscope_settings.FUNNEL)
    if not steps:
        return {"started": 0, "steps": []}
    journeys = per_journey(since, until, steps)
    started = journeys.count()
    before, entries = started, []
    for k, workflow_type in enumerate(steps, start=1):
        reached = journeys.filter(**{f"reached_{k}": 1}).count() if before else 0
        stopped = journeys.filter(**{f"reached_{k}": 0})
        if k > 1:
            stopped = stopped.filter(**{f"reached_{k - 1}": 1})
        workflows = _workflows(since, until).filter(journey_id__in=stopped.values("journey_id"))
        entries.append(
            {
                "workflow_type": workflow_type,
                "reached": reached,
                "conversion": _ratio(reached, before),
                "of_started": _ratio(reached, started),
                "stopped": before - reached,
                "errors": top_errors(workflows) if before > reached else [],
                "slowest_steps": slowest_steps(workflows) if before > reached else [],
            }
        )
        before = reached
    return {"started": started, "steps": entries}


def _workflows(since, until):
    """Workflows of real traffic that belong to a journey and started in the window."""
    return (
        WorkflowSession.objects.real_traffic()
        .filter(started_at__gte=since, started_at__lt=until)
        .exclude(journey_id="")
    )


def per_journey(since, until, steps):
    """One row per journey that started the funnel, ``reached_k`` 1 or 0 for each step."""
    done = [_has(Q(workflow_type=t, status=WorkflowSession.Status.COMPLETED)) for t in steps]
    reached = {f"reached_{k}": reduce(mul, done[:k]) for k in range(1, len(steps) + 1)}
    return (
        _workflows(since, until)
        .values("journey_id")
        .annotate(started=_has(Q(workflow_type=steps[0])), **reached)
        .filter(started=1)
        .order_by()
    )


def _has(condition):
    """1 when one of the journey's workflows meets ``condition``, else 0."""
    return Max(Case(When(condition, then=Value(1)), default=Value(0)), output_field=IntegerField())


def top_errors(workflows):
    """The TOP error groups of ``workflows`` by occurrences: ``{"fingerprint", "count",
    "journeys", "latest_id", "error_type", "message"}``."""
    groups = list(
        ErrorLog.objects.filter(workflow__in=workflows.values("pk"), severity__in=FAILING)
        .values("fingerprint")
        .annotate(
            count=Count("id"),
            journeys=Count("workflow__journey_id", distinct=True),
            latest_id=Max("id"),
        )
        .order_by("-count", "fingerprint")[:TOP]
    )
    latest = ErrorLog.objects.in_bulk([group["latest_id"] for group in groups])
    for group in groups:
        error = latest[group["latest_id"]]
        group.update(error_type=error.error_type, message=error.message)
    return groups


def slowest_steps(workflows):
    """The TOP steps of ``workflows`` by p95 (of each step's most recent durations):
    ``{"layer", "name", "count", "p95_ms"}``. Candidates are chosen by their longest
    duration in the database; their p95 is computed here."""
    steps = TraceStep.objects.filter(workflow__in=workflows.values("pk"))
    candidates = list(
        steps.values("layer", "name")
        .annotate(count=Count("id"), longest=Max("duration_ms"))
        .order_by("-longest", "layer", "name")[:CANDIDATES]
    )
    key = Concat(F("layer"), Value(" "), F("name"))
    names = {f"{c['layer']} {c['name']}": c for c in candidates}
    durations = first_rows(steps, key, list(names), SAMPLE_SIZE, value=F("duration_ms"))
    found = [
        {
            "layer": candidate["layer"],
            "name": candidate["name"],
            "count": candidate["count"],
            "p95_ms": percentile(sorted(row["value"] for row in durations[name]), 0.95),
        }
        for name, candidate in names.items()
        if durations.get(name)
    ]
    return sorted(found, key=lambda step: (-step["p95_ms"], step["layer"], step["name"]))[:TOP]


def _ratio(part, whole):
    return part / whole if whole else None
