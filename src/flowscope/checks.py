"""System checks: misconfiguration is reported by ``manage.py check`` with a hint."""

from django.conf import settings
from django.core import checks

from flowscope.capture.collectors import configured_collectors
from flowscope.conf import DEFAULTS, flowscope_settings


@checks.register(checks.Tags.compatibility)
def check_settings_keys(app_configs=None, **kwargs):
    return [
        checks.Warning(
            f"FLOWSCOPE[{key!r}] is not a flowscope setting and is ignored.",
            hint=f"Known settings: {', '.join(sorted(DEFAULTS))}.",
            id="flowscope.W001",
        )
        for key in flowscope_settings.unknown_keys()
    ]


MIDDLEWARE_PATH = "flowscope.capture.middleware.FlowscopeMiddleware"


@checks.register(checks.Tags.compatibility)
def check_middleware(app_configs=None, **kwargs):
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in middleware:
        return [
            checks.Warning(
                "FlowscopeMiddleware is not in MIDDLEWARE: no request will be traced.",
                hint=f"Add {MIDDLEWARE_PATH!r} as the first entry of MIDDLEWARE.",
                id="flowscope.W002",
            )
        ]
    if middleware[0] != MIDDLEWARE_PATH:
        return [
            checks.Warning(
                "FlowscopeMiddleware is not the first entry of MIDDLEWARE: the middleware "
                "before it is not timed, and its queries and errors are not traced.",
                hint=f"Move {MIDDLEWARE_PATH!r} to the top of MIDDLEWARE.",
                id="flowscope.W003",
            )
        ]
    return []


@checks.register(checks.Tags.compatibility)
def check_collectors(app_configs=None, **kwargs):
    """Each collector in FLOWSCOPE["COLLECTORS"] checks its own configuration."""
    return [message for collector in configured_collectors() for message in collector.checks()]


@checks.register(checks.Tags.compatibility)
def check_thresholds(app_configs=None, **kwargs):
    problems = []
    for metric, rule in flowscope_settings.THRESHOLDS.items():
        levels = rule if isinstance(rule, dict) else {}
        bad = [
            name
            for name in ("warning", "critical")
            if not isinstance(levels.get(name, 0), int | float)
            or isinstance(levels.get(name), bool)
        ]
        if not isinstance(rule, dict) or bad:
            problems.append(
                checks.Error(
                    f"FLOWSCOPE['THRESHOLDS'][{metric!r}] must be a dict whose 'warning' and "
                    "'critical' are numbers.",
                    hint='e.g. {"warning": 500, "critical": 2000, "above": True}',
                    id="flowscope.E001",
                )
            )
    return problems
