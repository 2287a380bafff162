"""Two uvicorn processes sharing Redis: a WebSocket client (the ``websockets`` library) on
one sees the workflow of a request served by the other."""

import asyncio
import json
import os
import urllib.request
from contextlib import ExitStack

import pytest
import websockets

from tests.servers import manage, uvicorn, wait_until_up


@pytest.fixture
def two_servers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(FLOWSCOPE_VAR_DIR=str(tmp_path), CACHE_KEY_PREFIX=f"two-{tmp_path.name}")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    token = manage(env, "drf_create_token", "admin").split()[2]
    with ExitStack() as stack:
        servers = [stack.enter_context(uvicorn(env, "--log-level", "warning")) for _ in range(2)]
        for base, process in servers:
            wait_until_up(f"{base}/api/v1/products/?page_size=1", process)
        yield token, [base.rsplit(":", 1)[1] for base, _ in servers]


@pytest.mark.redis
def test_an_event_crosses_processes_through_redis(two_servers):
    token, (watched, served) = two_servers

    async def watch():
        async with websockets.connect(
            f"ws://127.0.0.1:{watched}/ws/debugging/workflow/wf-two-servers/",
            additional_headers={"Authorization": f"Token {token}"},
            origin="http://127.0.0.1",
        ) as socket:
            first = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert first["data"]["status"] == "pending"
            request = urllib.request.Request(
                f"http://127.0.0.1:{served}/api/v1/products/?page_size=2",
                headers={"X-Correlation-ID": "wf-two-servers"},
            )
            await asyncio.to_thread(urllib.request.urlopen, request, timeout=10)
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 10))
                if message["type"] == "trace_step":
                    return message

    step = asyncio.run(watch())
    assert step["correlation_id"] == "wf-two-servers"
    assert step["step"]["name"] == "GET /api/v1/products/"
