"""SIGTERM with thousands of traces queued: every one is stored, at once or after the next
start from the spool, or counted and logged as lost. Nothing disappears silently."""

import json
import os
import re
import sqlite3
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.servers import manage, uvicorn, wait_until_up

REPO_DIR = Path(__file__).resolve().parents[3]
INGEST_KEY = "flowscope-demo-ingest-key"
POSTS, EVENTS_PER_POST, PAGE_READS = 10, 500, 40
LOST = re.compile(r"flowscope lost (\d+) records")
SPOOLED = re.compile(r"no time to write (\d+) records at shutdown")


@pytest.fixture
def server_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings_shutdown",
        PYTHONPATH=os.pathsep.join([str(REPO_DIR), str(REPO_DIR / "example")]),
        FLOWSCOPE_VAR_DIR=str(tmp_path),
        TEST_SPOOL_DIR=str(tmp_path / "spool"),
        FLOWSCOPE_INGEST_KEY=INGEST_KEY,
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    return env, tmp_path / "flowscope-demo.sqlite3", tmp_path / "spool"


def post_events(base, batch):
    events = [
        {
            "type": "step",
            "correlation_id": f"sigterm-{batch}-{index}",
            "name": "page.render",
            "duration_ms": 12.5,
        }
        for index in range(EVENTS_PER_POST)
    ]
    request = urllib.request.Request(
        f"{base}/api/v1/debugging/ingest/",
        data=json.dumps({"events": events}).encode(),
        headers={"Content-Type": "application/json", "X-Flowscope-Key": INGEST_KEY},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def read_page(base, index):
    with urllib.request.urlopen(f"{base}/api/v1/products/?n={index}", timeout=60) as response:
        return response.status


def stored_workflows(database):
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM flowscope_workflowsession").fetchone()[0]


def wait_for_count(database, expected, seconds=120):
    deadline = time.monotonic() + seconds
    while (count := stored_workflows(database)) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    return count


def test_sigterm_with_thousands_queued_loses_nothing_uncounted(server_env):
    env, database, spool_dir = server_env
    with uvicorn(env) as (base, process):
        wait_until_up(f"{base}/api/v1/debugging/health/", process)
        with ThreadPoolExecutor(8) as pool:
            posted = list(pool.map(lambda batch: post_events(base, batch), range(POSTS)))
            reads = list(pool.map(lambda index: read_page(base, index), range(PAGE_READS)))
        assert set(posted) == {202} and set(reads) == {200}
        process.terminate()
        process.wait(timeout=60)
        output = process.stdout.read()
    expected = POSTS * EVENTS_PER_POST + PAGE_READS
    lost = sum(int(n) for n in LOST.findall(output))
    spooled = sum(int(n) for n in SPOOLED.findall(output))
    assert spooled > 0, output  # the recorder had far more than it could write in time
    assert sorted(os.listdir(spool_dir)) != []

    with uvicorn(env) as (base, process):  # the next start writes the spool
        wait_until_up(f"{base}/api/v1/debugging/health/", process)
        stored = wait_for_count(database, expected - lost)
    assert stored + lost == expected
    assert [name for name in os.listdir(spool_dir) if not name.endswith(".bad")] == []
