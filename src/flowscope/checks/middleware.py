"""FlowscopeMiddleware: there, and first."""

from django.conf import settings
from django.core import checks

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
