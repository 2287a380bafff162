"""An ASGI live server (HTTP and WebSocket) for the dashboard's browser tests.

pytest-django's ``live_server`` is a WSGI server: it cannot serve the dashboard's
WebSockets. This one runs the example project's ASGI stack in uvicorn, in a thread of the
test process, so it shares the test database, the test's ``real_recorder`` and the
in-memory channel layer with the test.
"""

import threading
import time

import pytest
import uvicorn
from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

from flowscope.realtime.routing import websocket_application
from tests.servers import free_port


@pytest.fixture
def asgi_live_server(transactional_db):
    application = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": websocket_application(),
        }
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
        )
    )
    thread = threading.Thread(target=server.run, name="asgi-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
