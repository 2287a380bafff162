"""A dashboard socket whose client goes away while the socket is being set up lets go of
everything it holds: uvicorn (the live server) refuses the greeting and the snapshot to a
client that left, and the socket ends then, before it ever reads the disconnect.

The client is a raw TCP socket; the server holds the socket's first check of its user
until the client has gone, so that the greeting is the first thing sent after it left, and
the test looks once the socket's set-up is over."""

import asyncio
import base64
import os
import socket
import struct
import threading
import time
from urllib.parse import urlsplit

import pytest
import redis
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from flowscope.realtime import auth
from flowscope.realtime.consumers import DashboardConsumer
from flowscope.realtime.health_ticker import health_ticker
from flowscope.realtime.revocation import token_group

DEADLINE = 30  # seconds; generous, the machine is shared


def staff_token():
    user = get_user_model().objects.create_user("ops", password="x", is_staff=True)
    return Token.objects.create(user=user).key


def open_dashboard(base, token):
    """A raw client that completed the WebSocket handshake of the dashboard's socket."""
    address = urlsplit(base)
    client = socket.create_connection((address.hostname, address.port), timeout=DEADLINE)
    key = base64.b64encode(os.urandom(16)).decode()
    client.sendall(
        (
            "GET /ws/debugging/dashboard/ HTTP/1.1\r\n"
            f"Host: {address.netloc}\r\nOrigin: {base}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Token {token}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = client.recv(1)
        assert chunk, f"the server closed during the handshake: {response!r}"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101"), response
    return client


def until_closed(client):
    while client.recv(65536):
        pass
    client.close()


def reset(client):
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def half_close(client):
    client.shutdown(socket.SHUT_WR)
    until_closed(client)


def close_frame(client):
    mask = os.urandom(4)
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(struct.pack("!H", 1001)))
    client.sendall(bytes([0x88, 0x80 | len(payload)]) + mask + payload)
    until_closed(client)


def members(group):
    """The channels in ``group`` of the channel layer the live server uses."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return set(layer.groups.get(group, ()))
    with redis.Redis.from_url(os.environ["REDIS_URL"]) as connection:
        return set(connection.zrange(layer._group_key(group), 0, -1))


@pytest.mark.parametrize("leave", [reset, half_close, close_frame])
def test_a_socket_whose_client_left_while_it_was_set_up_lets_go(
    asgi_live_server, monkeypatch, leave
):
    token = staff_token()
    client_left = threading.Event()
    set_up = threading.Event()
    check, start = auth.still_allowed, DashboardConsumer.start

    async def once_the_client_left(scope):
        await asyncio.to_thread(client_left.wait, DEADLINE)
        return await check(scope)

    async def noting_the_end_of_start(consumer):
        try:
            await start(consumer)
        finally:
            set_up.set()

    monkeypatch.setattr(auth, "still_allowed", once_the_client_left)
    monkeypatch.setattr(DashboardConsumer, "start", noting_the_end_of_start)
    leave(open_dashboard(asgi_live_server, token))
    client_left.set()
    assert set_up.wait(DEADLINE), "the socket was never set up"

    group = token_group(token)
    deadline = time.monotonic() + DEADLINE
    while members(group) or health_ticker.running:
        assert time.monotonic() < deadline, (
            f"{DEADLINE} s after its client left, the socket is still in its groups "
            f"({len(members(group))} member(s)) or the health ticker still runs "
            f"({health_ticker.running})"
        )
        time.sleep(0.1)
