"""Workflows as configured, checked at start rather than found wrong by a request:
``WORKFLOWS`` (types and completion by route) and ``WORKFLOW_DEFINITIONS`` (the ones the
dashboard runs by hand)."""

import re

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from flowscope.conf import flowscope_settings
from flowscope.manual_testing import definitions, discovery
from flowscope.records.correlation import WORKFLOW_TYPE

SETTING = "FLOWSCOPE['WORKFLOWS']"
RULE_KEYS = ("routes", "complete_on")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# "METHOD /route/pattern/" or "/route/pattern/", as the dashboard names API steps.
ROUTE = re.compile(rf"(?:(?:{'|'.join(HTTP_METHODS)}) )?/\S*")
EXAMPLE = '{"checkout": {"routes": ["POST /api/v1/orders/checkout/"], "complete_on": [...]}}'


@checks.register(checks.Tags.compatibility)
def check_workflows(app_configs=None, **kwargs):
    workflows = flowscope_settings.WORKFLOWS
    if not isinstance(workflows, dict):
        return [_invalid(f"{SETTING} must be a dict of workflow types by name")]
    problems = [problem for name, rule in workflows.items() for problem in _problems(name, rule)]
    if problems:
        return [_invalid(problem) for problem in problems]
    return _unknown_routes(workflows)


def _problems(name, rule):
    where = f"{SETTING}[{name!r}]"
    if not (isinstance(name, str) and WORKFLOW_TYPE.fullmatch(name)):
        return [f"{where} is not a workflow type (1-64 of A-Z a-z 0-9 _ . : -)"]
    if not isinstance(rule, dict) or set(rule) - set(RULE_KEYS):
        return [f"{where} must be a dict with the keys {' and '.join(RULE_KEYS)} only"]
    problems = []
    for key in RULE_KEYS:
        routes = rule.get(key, [])
        if not isinstance(routes, list | tuple):
            problems.append(f"{where}[{key!r}] must be a list of routes")
            continue
        problems += [
            f"{where}[{key!r}] has {route!r}, which is not a route: "
            f'"METHOD /route/pattern/" or "/route/pattern/"'
            for route in routes
            if not (isinstance(route, str) and ROUTE.fullmatch(route))
        ]
    return problems


def _invalid(problem):
    return checks.Error(
        f"{problem}.",
        hint=f"e.g. {EXAMPLE}; routes are Django route patterns, as the dashboard names API steps.",
        id="flowscope.E007",
    )


def _unknown_routes(workflows):
    """Routes that name no pattern of the URLconf: a typo types no workflow, silently."""
    known = {route.pattern for route in discovery.routes()}
    return [
        checks.Warning(
            f"{SETTING}[{name!r}][{key!r}] names {route!r}, which is no route of "
            "ROOT_URLCONF: no request will match it.",
            hint="Write the route pattern as the dashboard shows API steps, e.g. "
            '"GET /api/v1/products/<int:pk>/".',
            id="flowscope.W014",
        )
        for name, rule in workflows.items()
        for key in RULE_KEYS
        for route in rule.get(key, [])
        if route.split(" ", 1)[-1] not in known
    ]


@checks.register(checks.Tags.compatibility)
def check_workflow_definitions(app_configs=None, **kwargs):
    try:
        definitions.all_workflows()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(
                str(exc),
                hint='The format of a definition: docs/configuration.md, "Workflow definitions".',
                id="flowscope.E008",
            )
        ]
    return []
