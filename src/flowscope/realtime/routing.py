"""WebSocket routes and the stack they need. ``flowscope.asgi.with_flowscope`` routes
them; by hand, in the host's ``asgi.py``::

    "websocket": flowscope.realtime.routing.websocket_application(),

The sockets are served under each mount of ``flowscope.urls`` (``debugging/ws/dashboard/``
for ``path("debugging/", include("flowscope.urls"))``), found in the URLconf when the first
socket connects, and at ``ws/debugging/`` as in earlier releases (``websocket_urlpatterns``,
for a project that routes them inside its own stack, with ``AuthMiddlewareStack`` and
``TokenAuthMiddleware`` around them).
"""

import functools

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from flowscope import mount
from flowscope.realtime.auth import TokenAuthMiddleware
from flowscope.realtime.consumers import DashboardConsumer, WorkflowTraceConsumer


def socket_urlpatterns(prefix):
    """The dashboard's sockets under ``prefix`` (a path from the root, slashes at both ends)."""
    route = prefix.removeprefix("/")
    return [
        path(f"{route}dashboard/", DashboardConsumer.as_asgi()),
        path(f"{route}workflow/<str:correlation_id>/", WorkflowTraceConsumer.as_asgi()),
    ]


websocket_urlpatterns = socket_urlpatterns(mount.LEGACY_SOCKETS)


@functools.lru_cache(maxsize=8)  # one router per set of mounts: the URLconf rarely changes
def _router(prefixes, extra_patterns):
    patterns = [pattern for prefix in prefixes for pattern in socket_urlpatterns(prefix)]
    return URLRouter([*patterns, *extra_patterns])


def socket_router(extra_patterns=()):
    """Routes the sockets under the mounts that the URLconf has when a socket connects."""
    extra_patterns = tuple(extra_patterns)

    async def route(scope, receive, send):
        return await _router(mount.socket_prefixes(), extra_patterns)(scope, receive, send)

    return route


def websocket_application(extra_patterns=(), fallback=None):
    """Origin checked against ALLOWED_HOSTS, session or token authentication. A socket
    under none of flowscope's paths goes to ``fallback`` (the host's own application, with
    its own checks) when there is one."""
    flowscope_sockets = AllowedHostsOriginValidator(
        AuthMiddlewareStack(TokenAuthMiddleware(socket_router(extra_patterns)))
    )
    if fallback is None:
        return flowscope_sockets

    async def application(scope, receive, send):
        if is_flowscope_socket(scope):
            return await flowscope_sockets(scope, receive, send)
        return await fallback(scope, receive, send)

    return application


def is_flowscope_socket(scope):
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    return path.startswith(mount.socket_prefixes())
