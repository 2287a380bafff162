"""Workflow types and completion from ``FLOWSCOPE["WORKFLOWS"]``.

Rules name API steps as ``"METHOD /route/pattern/"`` — the route pattern, not the raw path,
e.g. ``"GET /api/v1/products/<int:pk>/"`` — or just ``"/route/pattern/"`` for any method.
"""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver

from flowscope.conf import flowscope_settings


def _matches(rule, step_name):
    return rule == step_name or (rule.startswith("/") and step_name.split(" ", 1)[-1] == rule)


# Both are asked on every request, of a few hundred routes at most: answers are kept until
# the settings change.
@functools.lru_cache(maxsize=4096)
def type_for(step_name):
    """The first configured workflow type one of whose routes is this step, or ""."""
    for name, rule in flowscope_settings.WORKFLOWS.items():
        if any(_matches(route, step_name) for route in rule.get("routes", ())):
            return name
    return ""


@functools.lru_cache(maxsize=4096)
def completes(workflow_type, step_name):
    """Whether this step is a final step of the workflow type (its answer ends the workflow)."""
    rule = flowscope_settings.WORKFLOWS.get(workflow_type, {})
    return any(_matches(route, step_name) for route in rule.get("complete_on", ()))


@receiver(setting_changed)
def _forget_answers(*, setting, **kwargs):
    if setting == "FLOWSCOPE":
        type_for.cache_clear()
        completes.cache_clear()
