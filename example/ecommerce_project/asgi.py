"""ASGI entry point: HTTP and WebSocket in one process (served by uvicorn)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce_project.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from ecommerce_project.access_log import scrub_access_log  # noqa: E402
from flowscope.ingest.asgi import limit_ingest_bodies  # noqa: E402
from flowscope.realtime.routing import websocket_application  # noqa: E402
from flowscope.recording.lifespan import flowscope_lifespan  # noqa: E402

# uvicorn configures its own loggers before it imports this module; a filter on its access
# logger keeps its handler, format and options (--no-access-log, --log-config) as they are,
# where redefining the logger in LOGGING would replace them.
scrub_access_log()

application = ProtocolTypeRouter(
    {
        # Ingest bodies over INGEST_MAX_BYTES are refused as they arrive, not read first.
        "http": limit_ingest_bodies(django_asgi_app),
        # The live dashboard feed and live workflow traces.
        "websocket": websocket_application(),
        # On shutdown, flowscope writes the traces it still holds.
        "lifespan": flowscope_lifespan,
    }
)
