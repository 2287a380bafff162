"""``with_flowscope`` wraps the host's ASGI application in one call: HTTP to it, the
dashboard's sockets under flowscope's mount (and where they were), the host's own sockets
to the host, and the recorder's lifespan around the host's own."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.generic.websocket import WebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.core.asgi import get_asgi_application
from django.urls import path
from rest_framework.authtoken.models import Token

from ecommerce_project.asgi import application as example_application
from flowscope.asgi import with_flowscope
from flowscope.testing import use_recorder

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1")


class HostChat(WebsocketConsumer):
    """A socket of the host's own."""

    def connect(self):
        self.accept()
        self.send(json.dumps({"type": "host_chat"}))


def host_application():
    return ProtocolTypeRouter(
        {
            "http": get_asgi_application(),
            "websocket": URLRouter([path("chat/", HostChat.as_asgi())]),
        }
    )


async def first_message(application, socket_path, token):
    headers = [ORIGIN, (b"authorization", f"Token {token}".encode())]
    communicator = WebsocketCommunicator(application, socket_path, headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    assert connected, socket_path
    message = json.loads(await communicator.receive_from(10))
    await communicator.disconnect()
    return message["type"]


@pytest.fixture
def token(transactional_db):
    staff = get_user_model().objects.create_user("ops", password="x", is_staff=True)
    return Token.objects.create(user=staff).key


def test_the_example_routes_http_sockets_and_lifespan_through_it():
    assert set(example_application.application_mapping) == {"http", "websocket", "lifespan"}


def test_the_dashboard_sockets_answer_under_the_mount_and_where_they_were(token):
    application = with_flowscope(host_application())
    for socket_path in ("/debugging/ws/dashboard/", "/ws/debugging/dashboard/"):
        opened = async_to_sync(first_message)(application, socket_path, token)
        assert opened == "connection_established"


@pytest.mark.urls("tests.flowscope.mounted_elsewhere")
def test_the_sockets_follow_the_mount(token):
    application = with_flowscope(get_asgi_application())
    opened = async_to_sync(first_message)(application, "/ops/flowscope/ws/dashboard/", token)
    assert opened == "connection_established"


def test_the_hosts_own_sockets_still_reach_it(token):
    application = with_flowscope(host_application())
    assert async_to_sync(first_message)(application, "/chat/", token) == "host_chat"


class FakeRecorder:
    def __init__(self, events):
        self.events = events

    def start(self):
        self.events.append("recorder started")

    def shutdown(self):
        self.events.append("recorder written")


def run_lifespan(application, events):
    """The server's side of a lifespan: startup, then shutdown; what each side did."""
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive():
        return next(messages)

    async def send(message):
        events.append(message["type"])

    with use_recorder(FakeRecorder(events)):
        asyncio.run(application({"type": "lifespan", "state": {}}, receive, send))
    return events


def hosts_lifespan(events, fail_startup=False):
    async def lifespan(scope, receive, send):
        while True:
            message = await receive()
            events.append(f"host {message['type']}")
            if message["type"] == "lifespan.startup":
                failed = "lifespan.startup.failed"
                await send({"type": failed if fail_startup else "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    return ProtocolTypeRouter({"http": get_asgi_application(), "lifespan": lifespan})


def test_a_host_without_a_lifespan_gets_flowscopes_alone():
    events = []
    assert run_lifespan(with_flowscope(get_asgi_application()), events) == [
        "recorder started",
        "lifespan.startup.complete",
        "recorder written",
        "lifespan.shutdown.complete",
    ]


def test_the_hosts_own_lifespan_runs_inside_flowscopes():
    """What the host does while it stops is still written."""
    events = []
    assert run_lifespan(with_flowscope(hosts_lifespan(events)), events) == [
        "recorder started",
        "host lifespan.startup",
        "lifespan.startup.complete",
        "host lifespan.shutdown",
        "recorder written",
        "lifespan.shutdown.complete",
    ]


def test_a_host_startup_that_fails_is_reported_and_nothing_is_kept_running():
    events = []
    assert run_lifespan(with_flowscope(hosts_lifespan(events, fail_startup=True)), events) == [
        "recorder started",
        "host lifespan.startup",
        "recorder written",
        "lifespan.startup.failed",
    ]
