"""The funnel's steps as configured (``FUNNEL``): workflow types, each once, and types that
some workflow will have — a typo would show a funnel where every journey stops there."""

from django.core import checks

from flowscope.conf import flowscope_settings
from flowscope.records.correlation import WORKFLOW_TYPE

SETTING = "FLOWSCOPE['FUNNEL']"


@checks.register(checks.Tags.compatibility)
def check_funnel(app_configs=None, **kwargs):
    steps = flowscope_settings.FUNNEL
    problem = _problem(steps)
    if problem:
        return [
            checks.Error(
                f"{SETTING} {problem}.",
                hint='The workflow types a journey goes through, in order, e.g. ["login", '
                '"product_fetch", "cart_update", "checkout"]; see docs/funnel.md.',
                id="flowscope.E210",
            )
        ]
    return _unknown_types(steps)


def _problem(steps):
    if not isinstance(steps, list | tuple):
        return "must be a list of workflow types"
    for step in steps:
        if not (isinstance(step, str) and WORKFLOW_TYPE.fullmatch(step)):
            return f"has {step!r}, which is not a workflow type (1-64 of A-Z a-z 0-9 _ . : -)"
    if len(set(steps)) < len(steps):
        return "names a workflow type twice"
    return None


def _unknown_types(steps):
    """Steps of FUNNEL that no WORKFLOWS type is named (there are none by default: a host
    that never declared a funnel has nothing to judge)."""
    workflows = flowscope_settings.WORKFLOWS
    if not isinstance(workflows, dict):
        return []
    return [
        checks.Warning(
            f"{SETTING} names {step!r}, which is no workflow type of FLOWSCOPE['WORKFLOWS']: "
            "no journey reaches it unless its clients name that type.",
            hint="Use a type of WORKFLOWS; a type your clients send as X-Workflow-Type "
            "(or the browser SDK's startWorkflow) is fine: silence flowscope.W210.",
            id="flowscope.W210",
        )
        for step in steps
        if step not in workflows
    ]
