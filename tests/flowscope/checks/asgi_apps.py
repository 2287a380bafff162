"""ASGI applications as hosts write them, for the routing checks."""

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application
from django.urls import path

from flowscope.realtime.routing import websocket_application
from flowscope.recording.lifespan import flowscope_lifespan

django_asgi_app = get_asgi_application()


class HostMiddleware:
    """An ASGI middleware of the host's, around everything."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


django_only = django_asgi_app
without_lifespan = ProtocolTypeRouter(
    {"http": django_asgi_app, "websocket": websocket_application()}
)
wrapped = HostMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": websocket_application(),
            "lifespan": flowscope_lifespan,
        }
    )
)


async def host_consumer(scope, receive, send):
    """A socket of the host's own."""


hosts_sockets_only = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AuthMiddlewareStack(URLRouter([path("ws/chat/", host_consumer)])),
        "lifespan": flowscope_lifespan,
    }
)
hosts_sockets_and_flowscopes = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_application([path("ws/chat/", host_consumer)]),
        "lifespan": flowscope_lifespan,
    }
)
