"""WebSocket routes and the stack they need. In the host's ``asgi.py``::

    "websocket": flowscope.realtime.routing.websocket_application(),

(or route ``websocket_urlpatterns`` inside one's own stack, with
``AuthMiddlewareStack`` and ``TokenAuthMiddleware`` around it).
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from flowscope.realtime.auth import TokenAuthMiddleware
from flowscope.realtime.consumers import DashboardConsumer, WorkflowTraceConsumer

websocket_urlpatterns = [
    path("ws/debugging/dashboard/", DashboardConsumer.as_asgi()),
    path("ws/debugging/workflow/<str:correlation_id>/", WorkflowTraceConsumer.as_asgi()),
]


def websocket_application(extra_patterns=()):
    """Origin checked against ALLOWED_HOSTS, session or token authentication."""
    return AllowedHostsOriginValidator(
        AuthMiddlewareStack(
            TokenAuthMiddleware(URLRouter([*websocket_urlpatterns, *extra_patterns]))
        )
    )
