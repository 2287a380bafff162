"""The demo as `make demo` runs it: migrate, seed, and uvicorn serving the shop over HTTP."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "example"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


def wait_until_up(url, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"uvicorn exited: {process.stdout.read()}")
        try:
            return get_json(url)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def demo_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(FLOWSCOPE_VAR_DIR=str(tmp_path), SHOP_PAYMENT_LATENCY_MS="0")
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        subprocess.run(manage + command, cwd=EXAMPLE_DIR, env=env, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "ecommerce_project.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=EXAMPLE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", process, tmp_path / "flowscope-demo.sqlite3"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_demo_serves_the_seeded_shop(demo_server):
    base, process, _ = demo_server
    status, products = wait_until_up(f"{base}/api/v1/products/", process)
    assert status == 200
    assert products["count"] == 240
    status, login = get_json(
        f"{base}/api/v1/auth/login/", {"username": "alice", "password": "alice-demo-pass"}
    )
    assert status == 200
    assert login["user"]["username"] == "alice"


def test_traces_are_written_by_the_time_the_server_has_stopped(demo_server):
    """uvicorn's lifespan shutdown makes the recorder write what it still holds."""
    base, process, database = demo_server
    wait_until_up(f"{base}/api/v1/products/", process)
    for page in (1, 2, 3):
        get_json(f"{base}/api/v1/products/?page={page}")
    process.terminate()
    process.wait(timeout=10)  # uvicorn re-raises SIGTERM after its graceful shutdown
    assert "Application shutdown complete" in process.stdout.read()
    with sqlite3.connect(database) as db:
        routes = db.execute(
            "SELECT name FROM flowscope_tracestep WHERE layer = 'api' ORDER BY started_at"
        ).fetchall()
    assert routes[-3:] == [("GET /api/v1/products/",)] * 3
