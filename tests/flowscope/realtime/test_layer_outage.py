"""A dashboard socket that is already open when the Redis channel layer fails or forgets its
groups keeps receiving once Redis is back: the example shop under uvicorn, its channel layer
and cache on a private redis-server that the test flushes, stops and starts, and a real
``websockets`` client."""

import asyncio
import itertools
import json
import os
import time
import urllib.error
import urllib.request

import pytest
import websockets

from tests.browser import require
from tests.servers import RedisServer, manage, redis_available, uvicorn, wait_until_up

DEADLINE = 120  # seconds; generous, the machine is shared
_requests = itertools.count()


@pytest.fixture(scope="module")
def layer_redis():
    require("redis-server", redis_available())
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shop(tmp_path_factory, layer_redis):
    """``(base url, staff token)`` of one uvicorn process whose channel layer is
    ``layer_redis`` (its store: SQLite in a folder of its own)."""
    folder = tmp_path_factory.mktemp("layer-outage")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        REDIS_URL=layer_redis.url,
        FLOWSCOPE_VAR_DIR=str(folder),
        CACHE_KEY_PREFIX=f"outage-{folder.name}",
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    token = manage(env, "drf_create_token", "admin").split()[2]
    with uvicorn(env, "--log-level", "warning") as (base, process):
        wait_until_up(f"{base}/api/v1/products/?page_size=1", process, seconds=DEADLINE)
        yield base, token


def request(base, correlation_id):
    url = f"{base}/api/v1/products/?page_size=1"
    headers = {"X-Correlation-ID": correlation_id}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
        assert r.status == 200


def channel_layer_status(base, token):
    request = urllib.request.Request(
        f"{base}/api/v1/debugging/health/", headers={"Authorization": f"Token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:  # 503: a component is down
        body = json.loads(error.read())
    return body["components"]["channel_layer"]["status"]


async def open_dashboard(base, token):
    socket = await websockets.connect(
        base.replace("http://", "ws://") + "/ws/debugging/dashboard/",
        additional_headers={"Authorization": f"Token {token}"},
        origin="http://127.0.0.1",
    )
    await next_of(socket, "dashboard_snapshot")
    return socket


async def next_of(socket, message_type, seconds=DEADLINE):
    async with asyncio.timeout(seconds):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == message_type:
                return message


def wait_for(condition, what):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {DEADLINE} s"
        time.sleep(0.2)


async def a_new_workflow_arrives(socket, base, prefix):
    """Requests, a second apart, until the socket tells of one of them: the groups are
    joined again a moment after Redis is back, and only events after that can arrive."""
    sent = set()

    async def keep_sending():
        while True:
            correlation_id = f"{prefix}-{next(_requests)}"
            sent.add(correlation_id)
            await asyncio.to_thread(request, base, correlation_id)
            await asyncio.sleep(1)

    sender = asyncio.create_task(keep_sending())
    try:
        async with asyncio.timeout(DEADLINE):
            while True:
                message = json.loads(await socket.recv())
                kind, workflow = message["type"], message.get("workflow") or {}
                if kind == "workflow_update" and workflow["correlation_id"] in sent:
                    return message
    finally:
        sender.cancel()


def test_an_open_socket_hears_events_again_after_redis_forgot_its_groups(shop, layer_redis):
    """Redis answers all along but comes back empty (a restart without persistence, a
    failover): nothing fails, the groups are just gone."""
    import redis

    base, token = shop

    async def body():
        async with await open_dashboard(base, token) as socket:
            redis.Redis.from_url(layer_redis.url).flushall()
            await next_of(socket, "live_resumed")  # the page catches up on it
            return await a_new_workflow_arrives(socket, base, "after-flush")

    assert asyncio.run(body())["change"] == "created"


def test_an_open_socket_hears_events_again_after_redis_was_down(shop, layer_redis):
    base, token = shop

    async def body():
        async with await open_dashboard(base, token) as socket:
            layer_redis.stop()
            await asyncio.to_thread(
                wait_for, lambda: channel_layer_status(base, token) == "down", "the layer down"
            )
            await socket.send(json.dumps({"type": "ping", "timestamp": 1}))
            assert (await next_of(socket, "pong"))["timestamp"] == 1  # still open
            layer_redis.start()  # the same port, empty
            return await a_new_workflow_arrives(socket, base, "after-restart")

    assert asyncio.run(body())["change"] == "created"
