"""system_health on the dashboard socket: sent by a ticker on the server's loop that runs
only while a dashboard socket is connected in the process."""

import asyncio

import pytest
from asgiref.sync import async_to_sync

from flowscope.realtime import health_ticker as ticker_module
from flowscope.realtime.health_ticker import health_ticker
from tests.flowscope.realtime.test_consumers import DASHBOARD, receive, socket, token_for, until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def readings(monkeypatch):
    """The health the ticker reads, in turn (the last one repeats)."""
    statuses, calls = [], []

    def layer_health(since, until):
        calls.append(until)
        overall = statuses[min(len(calls), len(statuses)) - 1]
        return overall, {"api": {"status": overall, "count": 3}}

    monkeypatch.setattr(ticker_module, "layer_health", layer_health)
    monkeypatch.setattr(ticker_module, "HEALTH_CHECK_SECONDS", 0.05)
    return statuses, calls


def test_a_status_change_is_sent_at_once_and_only_while_a_dashboard_watches(readings, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REALTIME_HEALTH_INTERVAL": 3600}
    statuses, calls = readings
    statuses += ["healthy", "healthy", "degraded"]
    token = token_for("ops")
    assert not health_ticker.running

    async def body():
        dashboard = socket(DASHBOARD, token)
        await dashboard.connect()
        await until(dashboard, "dashboard_snapshot")
        assert health_ticker.running
        health = await until(dashboard, "system_health")
        await dashboard.disconnect()
        await stopped()  # on this very loop: the last dashboard left
        return health

    health = async_to_sync(body)()
    assert set(health) == {"type", "overall_status", "layers", "server_time"}
    # The first reading only matched the snapshot; the unchanged second was not sent.
    assert (health["overall_status"], health["layers"]["api"]["status"]) == ("degraded",) * 2
    assert len(calls) >= 3


async def stopped(seconds=10):
    """Wait until the ticker's task has ended (its cancellation takes a loop turn)."""
    for _ in range(int(seconds / 0.01)):
        if not health_ticker.running:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the health ticker still runs with no dashboard connected")


def test_a_dashboard_after_the_last_one_left_starts_one_ticker_again(readings, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REALTIME_HEALTH_INTERVAL": 0.1}
    readings[0].append("healthy")
    token = token_for("ops")

    async def body():
        first = socket(DASHBOARD, token)
        await first.connect()
        await until(first, "dashboard_snapshot")
        await first.disconnect()
        await stopped()
        second = socket(DASHBOARD, token)
        await second.connect()
        await until(second, "dashboard_snapshot")
        health = await until(second, "system_health")
        tickers = [t for t in asyncio.all_tasks() if t.get_name() == "flowscope-health-ticker"]
        await second.disconnect()
        await stopped()
        return health, len(tickers)

    health, tickers = async_to_sync(body)()
    assert (health["overall_status"], tickers) == ("healthy", 1)
    assert health_ticker.counts.snapshot()["sent"] >= 1


def test_unchanged_health_is_sent_again_every_interval(readings, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REALTIME_HEALTH_INTERVAL": 0.1}
    statuses, _ = readings
    statuses.append("healthy")
    token = token_for("ops")

    async def body():
        dashboard = socket(DASHBOARD, token)
        await dashboard.connect()
        await until(dashboard, "dashboard_snapshot")
        first = await until(dashboard, "system_health")
        second = await until(dashboard, "system_health")
        await dashboard.disconnect()
        return first, second

    first, second = async_to_sync(body)()
    assert first["overall_status"] == second["overall_status"] == "healthy"
    assert first["server_time"] < second["server_time"]


def test_a_workflow_socket_alone_runs_no_ticker(readings):
    token = token_for("ops")

    async def body():
        trace = socket("/ws/debugging/workflow/wf-quiet/", token)
        await trace.connect()
        assert (await receive(trace))["type"] == "workflow_trace"
        running = health_ticker.running
        await trace.disconnect()
        return running

    assert async_to_sync(body)() is False
    assert readings[1] == []


def test_health_reaches_only_the_sockets_subscribed_to_it(readings, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REALTIME_HEALTH_INTERVAL": 0.1}
    readings[0].append("healthy")
    token = token_for("ops")

    async def body():
        watching, quiet = socket(DASHBOARD, token), socket(DASHBOARD, token)
        for dashboard in (watching, quiet):
            await dashboard.connect()
            await until(dashboard, "dashboard_snapshot")
        await quiet.send_json_to({"type": "unsubscribe", "topics": ["system_health"]})
        assert (await until(quiet, "unsubscribed"))["topics"] == ["system_health"]
        # Two readings sent to the watching socket: the ticker has been round both twice.
        await until(watching, "system_health")
        await until(watching, "system_health")
        await quiet.send_json_to({"type": "ping", "timestamp": 1})
        next_type = (await receive(quiet))["type"]
        for dashboard in (watching, quiet):
            await dashboard.disconnect()
        return next_type

    assert async_to_sync(body)() == "pong"
