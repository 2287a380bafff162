"""Invariants as the store holds them: violations per rule over a window (each rule is an
error group of ``InvariantViolation`` errors), workflows checked per type, and one
workflow's check.

Manual test runs and replays are checked too (a replay's page says whether the rule holds
now), but the window's figures are live traffic's, as the budgets' and the funnel's are.
"""

from django.db.models import Count, Max, Q

from flowscope.models import ErrorLog, InvariantCheck

RUN_BY_HAND = Q(workflow__metadata__has_key="synthetic")  # models.SYNTHETIC, one join away

RULE = "invariant"  # the key of a violation's request_context naming its rule


def violations(since, until):
    """``{fingerprint: {"count", "workflows", "last_seen", "latest"}}`` of violations in
    the window; ``latest`` is the newest ``ErrorLog``, which names the rule."""
    groups = (
        ErrorLog.objects.filter(
            error_type=InvariantCheck.ERROR_TYPE, created_at__gte=since, created_at__lt=until
        )
        .exclude(RUN_BY_HAND)
        .values("fingerprint")
        .annotate(
            count=Count("id"),
            workflows=Count("workflow", distinct=True),
            last_seen=Max("created_at"),
            latest_id=Max("id"),
        )
        .order_by()
    )
    groups = list(groups)
    latest = ErrorLog.objects.in_bulk([group["latest_id"] for group in groups])
    return {
        group["fingerprint"]: {**group, "latest": latest[group["latest_id"]]} for group in groups
    }


def checked_per_type(since, until):
    """``{workflow type: workflows checked in the window}``."""
    rows = (
        InvariantCheck.objects.filter(checked_at__gte=since, checked_at__lt=until)
        .exclude(RUN_BY_HAND)
        .values_list("workflow__workflow_type")
        .annotate(n=Count("workflow", distinct=True))
        .order_by()
    )
    return dict(rows)


def rule_of(error):
    """What a violation's error says of its rule: ``{"rule", "workflow_type", ...}``."""
    return (error.request_context or {}).get(RULE) or {}


def of_workflow(workflow):
    """The workflow's latest check, with the errors of the rules it broke; None if never
    checked."""
    check = InvariantCheck.objects.filter(workflow=workflow).order_by("-checked_at").first()
    if check is None:
        return None
    errors = ErrorLog.objects.filter(workflow=workflow, error_type=InvariantCheck.ERROR_TYPE)
    by_rule = {rule_of(error).get("rule"): error for error in errors.order_by("id")}
    return {
        "checked_at": check.checked_at,
        "status": check.status,
        "rules": check.rules,
        "violated": [
            {
                "rule": name,
                "error_id": by_rule[name].pk if name in by_rule else None,
                "message": by_rule[name].message if name in by_rule else "",
            }
            for name in check.violated
        ],
    }
