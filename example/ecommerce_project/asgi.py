"""ASGI entry point: HTTP and WebSocket in one process (served by uvicorn)."""

import os

from django.core.asgi import get_asgi_application

from flowscope.asgi import with_flowscope

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecommerce_project.settings")

# HTTP, flowscope's sockets and its lifespan (traces still queued are written at shutdown).
application = with_flowscope(get_asgi_application())

from ecommerce_project.access_log import scrub_access_log  # noqa: E402

# uvicorn configures its own loggers before it imports this module; a filter on its access
# logger keeps its handler, format and options (--no-access-log, --log-config) as they are,
# where redefining the logger in LOGGING would replace them.
scrub_access_log()
