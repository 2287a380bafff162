"""ASGI routing: the host's ``ASGI_APPLICATION`` sends sockets to flowscope's consumers and
the lifespan to flowscope (which writes the traces it holds when the server stops)."""

from channels.routing import ProtocolTypeRouter, URLRouter
from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

WRAP_HINT = (
    "Wrap your application: application = flowscope.asgi.with_flowscope("
    "get_asgi_application()), or route it in your own channels ProtocolTypeRouter as "
    "with_flowscope does."
)
# Attributes under which ASGI wrappers (middleware, the host's own) keep what they wrap.
WRAPPED = ("application", "app", "inner")
MOST_WRAPPERS = 10
# What goes without each scope, and the check that says so.
UNROUTED = {
    "websocket": (
        "flowscope.W011",
        "the dashboard's sockets are refused, and its page polls instead of following live",
    ),
    "lifespan": (
        "flowscope.W012",
        "traces still queued when the server stops are spooled, written only at the next start",
    ),
}


@checks.register(checks.Tags.compatibility)
def check_asgi_routing(app_configs=None, **kwargs):
    """Only where ``ASGI_APPLICATION`` names the application: a project served over WSGI
    alone has no sockets to route (the dashboard polls)."""
    path = getattr(settings, "ASGI_APPLICATION", None)
    if not path:
        return []
    try:
        application = import_string(path)
    except Exception as exc:
        return [
            checks.Error(
                f"ASGI_APPLICATION {path!r} cannot be imported: {type(exc).__name__}: {exc}",
                hint="Point ASGI_APPLICATION at your asgi module's application.",
                id="flowscope.E005",
            )
        ]
    router = protocol_router(application)
    routed = router.application_mapping if router is not None else {}
    messages = [
        checks.Warning(
            f"ASGI_APPLICATION {path!r} routes no {scope_type!r} scope: {consequence}.",
            hint=WRAP_HINT,
            id=check_id,
        )
        for scope_type, (check_id, consequence) in UNROUTED.items()
        if scope_type not in routed
    ]
    if "websocket" in routed and routes_past_flowscope(routed["websocket"]):
        messages.append(
            checks.Warning(
                f"ASGI_APPLICATION {path!r} routes sockets by URL, but none of its routes "
                f"leads to flowscope's consumers: {UNROUTED['websocket'][1]}.",
                hint='Route "websocket": flowscope.realtime.routing.websocket_application('
                "fallback=your_socket_application), as flowscope.asgi.with_flowscope does.",
                id="flowscope.W011",
            )
        )
    return messages


def protocol_router(application):
    """The ``ProtocolTypeRouter`` that is, or is wrapped by, ``application``; or None."""
    routers = (app for app in reachable(application) if isinstance(app, ProtocolTypeRouter))
    return next(routers, None)


def routes_past_flowscope(application):
    """Whether the socket application routes by URL (a channels ``URLRouter``) and no route
    leads to a flowscope consumer. An application of the host's own that routes otherwise
    cannot be told, and passes."""
    apps = list(reachable(application))
    by_url = any(isinstance(app, URLRouter) for app in apps)
    consumers = (getattr(app, "consumer_class", None) for app in apps)
    ours = any(c is not None and c.__module__.startswith("flowscope.") for c in consumers)
    return by_url and not ours


def reachable(application, depth=0):
    """``application`` and every application it wraps or routes to by URL."""
    if application is None or depth > MOST_WRAPPERS:
        return
    yield application
    if isinstance(application, URLRouter):
        for route in application.routes:
            yield from reachable(route.callback, depth + 1)
        return
    wrapped = (getattr(application, name) for name in WRAPPED if hasattr(application, name))
    yield from reachable(next(wrapped, None), depth + 1)
