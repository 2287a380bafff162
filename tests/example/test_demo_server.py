"""The demo as `make demo` runs it: migrate, seed, and uvicorn serving the shop over HTTP."""

import os
import sqlite3

import pytest

from tests.servers import get_json, manage, uvicorn, wait_until_up
from tests.shop_data import ALICE, ALICE_PASSWORD


@pytest.fixture
def demo_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(FLOWSCOPE_VAR_DIR=str(tmp_path), SHOP_PAYMENT_LATENCY_MS="0")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    with uvicorn(env) as (base, process):
        yield base, process, tmp_path / "flowscope-demo.sqlite3"


def test_demo_serves_the_seeded_shop(demo_server):
    base, process, _ = demo_server
    status, products = wait_until_up(f"{base}/api/v1/products/", process)
    assert status == 200
    assert products["count"] == 240
    status, login = get_json(
        f"{base}/api/v1/auth/login/", {"username": ALICE, "password": ALICE_PASSWORD}
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


def test_the_access_log_prints_no_secret_from_a_query_string(demo_server):
    base, process, _ = demo_server
    wait_until_up(f"{base}/api/v1/products/", process)
    query = "card=4242424242424242&password=hunter2&api_key=sk_live_abc&page=1"
    status, _ = get_json(f"{base}/api/v1/products/?{query}")
    assert status == 200
    process.terminate()
    process.wait(timeout=10)
    log = process.stdout.read()
    line = next(line for line in log.splitlines() if "/api/v1/products/?card" in line)
    assert "password=[Filtered]" in line and "api_key=[Filtered]" in line
    assert "card=[Filtered card]" in line and "page=1" in line and "200" in line
    for secret in ("4242424242424242", "hunter2", "sk_live_abc"):
        assert secret not in log
