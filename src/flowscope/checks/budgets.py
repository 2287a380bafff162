"""``BUDGETS`` as configured, checked at start: a budget that cannot be read is named, and
one for a workflow type nothing names (not in ``WORKFLOWS``) is a likely typo."""

from django.core import checks

from flowscope.analysis.budget_settings import BudgetError, configured_budgets
from flowscope.conf import flowscope_settings

SETTING = "FLOWSCOPE['BUDGETS']"


@checks.register(checks.Tags.compatibility)
def check_budgets(app_configs=None, **kwargs):
    try:
        budgets = configured_budgets()
    except BudgetError as exc:
        return [
            checks.Error(
                f"{SETTING}: {exc}.",
                hint='e.g. {"checkout": {"total_ms": 800, "layers": {"api": 250, '
                '"database": 100}, "steps": {"POST /api/v1/checkout/": 200}}}; the format: '
                "flowscope's docs/budgets.md.",
                id="flowscope.E183",
            )
        ]
    return _unknown_types(budgets)


def _unknown_types(budgets):
    """Types no WORKFLOWS entry names; a client may still name one in X-Workflow-Type."""
    known = flowscope_settings.WORKFLOWS
    if not isinstance(known, dict) or not known:
        return []
    return [
        checks.Warning(
            f"{SETTING} has a budget for {name!r}, which FLOWSCOPE['WORKFLOWS'] does not "
            "name: unless clients send it in X-Workflow-Type, no workflow is of that type.",
            hint=f"Name it in WORKFLOWS, or correct it to one of {', '.join(sorted(known))}.",
            id="flowscope.W183",
        )
        for name in sorted(budgets)
        if name not in known
    ]
