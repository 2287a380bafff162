"""The dashboard's browser tests: an ASGI live server (HTTP and WebSocket), the shop's
data and a staff user's session.

pytest-django's ``live_server`` is a WSGI server: it cannot serve the dashboard's
WebSockets. This one runs the example project's ASGI stack in uvicorn, in a thread of the
test process, so it shares the test database, the test's ``real_recorder`` and the
in-memory channel layer with the test.
"""

import threading
import time

import pytest
import uvicorn
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application
from django.test import Client

from flowscope.asgi import with_flowscope
from tests.browser import browser_page
from tests.flowscope.dashboard.traffic import shop_traffic
from tests.servers import free_port

SHUTDOWN_SECONDS = 10


@pytest.fixture
def asgi_live_server(transactional_db):
    application = with_flowscope(ASGIStaticFilesHandler(get_asgi_application()))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
            # A socket still open after this cancels: a server left running would keep
            # its sockets' receives on the channel layer, which channels-redis refuses
            # to share with the next test's server loop.
            timeout_graceful_shutdown=SHUTDOWN_SECONDS,
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
        thread.join(SHUTDOWN_SECONDS * 4)
        assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture
def shop_data(transactional_db, settings, catalogue, alice):
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 5, "FAILURE_RATE": 0.0}
    return catalogue


@pytest.fixture
def staff_session(transactional_db, settings):
    """A signed-in staff user's session cookie (the admin's login form would be traced:
    the dashboard would not start empty)."""
    staff = get_user_model().objects.create_user("ops", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


# Every CSP violation the page reports, whatever the console says about it.
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__violations.push(`${event.violatedDirective}: ${event.blockedURI} at ${where}`);
});
"""


@pytest.fixture
def page_with_traffic(asgi_live_server, shop_data, staff_session, real_recorder, playwright_api):
    """A staff user's Chromium page (not opened yet) on the shop's traffic of
    ``shop_traffic``; ``window.__violations`` lists what the page's policy refused."""
    shop_traffic(asgi_live_server, shop_data[0].pk)
    assert real_recorder.flush(10)
    with browser_page(playwright_api, init_script=VIOLATIONS) as (page, problems):
        page.context.add_cookies([{**staff_session, "url": asgi_live_server}])
        yield page, problems
