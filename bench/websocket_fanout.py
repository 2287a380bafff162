"""Live-event fan-out: N WebSocket clients on one uvicorn process with the Redis layer.

Each round opens N dashboard sockets (the ``websockets`` library, staff token), then sends
requests to the shop, each under its own correlation ID, one at a time, ``--gap`` seconds
apart. For every client it records when the ``workflow_update`` of each request arrived;
latency is that moment minus the moment the request's response came back (the same clock:
one machine). The recorder's batching is part of what is measured, as a user sees it: a
request that finds the writer idle is written at once, while requests closer together than
FLUSH_INTERVAL (200 ms) wait for the next batch (``--gap 0.05`` measures that case).

    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/websocket_fanout.py \\
        [--clients 100 500 1000] [--requests 20] [--gap 0.25] [--transport thread|redis]

``--transport redis``: the server appends requests to the Redis stream and a
``flowscope_writer`` process writes them and publishes the live events through the layer
(the server's own writer thread does both with ``thread``, the default).
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets
from bench_common import HOST, REPO_DIR, Server, django_env, machine, migrate, staff_token


def start_server(port, var_dir, transport):
    """Migrated and seeded, then served; REDIS_URL is this run's (the layer measured). With
    the "redis" transport, a writer process beside it."""
    env = django_env(
        REPO_DIR,
        FLOWSCOPE_VAR_DIR=var_dir,
        REDIS_URL=os.environ["REDIS_URL"],
        CACHE_KEY_PREFIX=f"bench-{os.getpid()}",
        FLOWSCOPE_TRANSPORT=transport,
    )
    migrate(REPO_DIR, env, seed=True)
    token = staff_token(REPO_DIR, env)
    writer = None
    if transport == "redis":
        log = open(Path(var_dir) / "writer.log", "w")  # noqa: SIM115 (open while it runs)
        writer = subprocess.Popen(
            [sys.executable, "manage.py", "flowscope_writer"],
            cwd=REPO_DIR / "example",
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server("fanout", REPO_DIR, env, Path(var_dir), ["--ws-max-queue", "64"], port)
    server.start()
    server.wait_until_up("/api/v1/products/?page_size=1", seconds=30)
    return server, token, writer


class Client:
    def __init__(self):
        self.arrivals = {}  # correlation id -> monotonic time of its first workflow_update
        self.closed = False
        self.snapshot = asyncio.Event()

    async def run(self, url, token, ready):
        try:
            async with websockets.connect(
                url,
                origin=f"http://{HOST}",
                max_size=2**24,
                additional_headers={"Authorization": f"Token {token}"},
                open_timeout=60,
            ) as socket:
                ready.release()
                async for raw in socket:
                    message = json.loads(raw)
                    if message["type"] == "dashboard_snapshot":
                        self.snapshot.set()
                    if message["type"] == "workflow_update":
                        cid = message["workflow"]["correlation_id"]
                        self.arrivals.setdefault(cid, time.monotonic())
        except (TimeoutError, OSError, websockets.ConnectionClosed):
            self.closed = True
            ready.release()


def send_request(port, correlation_id):
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/v1/products/?page_size=5",
        headers={"X-Correlation-ID": correlation_id},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return time.monotonic()


async def one_round(port, token, clients_count, requests, gap, round_name):
    url = f"ws://{HOST}:{port}/ws/debugging/dashboard/"
    clients = [Client() for _ in range(clients_count)]
    ready = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(c.run(url, token, ready)) for c in clients]
    for _ in clients:
        await ready.acquire()
    # Measure only once every client has its snapshot (the connect storm is over).
    await asyncio.wait_for(
        asyncio.gather(*(c.snapshot.wait() for c in clients if not c.closed)), 300
    )
    await asyncio.sleep(1)
    ends = {}
    started = time.monotonic()
    for index in range(requests):
        cid = f"{round_name}-{index}"
        ends[cid] = await asyncio.to_thread(send_request, port, cid)
        await asyncio.sleep(gap)
    await asyncio.sleep(3)  # the last events' time to arrive
    elapsed = time.monotonic() - started
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [
        (c.arrivals[cid] - end) * 1000
        for c in clients
        for cid, end in ends.items()
        if cid in c.arrivals
    ]
    missing = sum(cid not in c.arrivals for c in clients for cid in ends)
    return {
        "clients": clients_count,
        "requests": requests,
        "messages": len(latencies),
        "missing": missing,
        "dropped_clients": sum(c.closed for c in clients),
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": (statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else None),
        "max_ms": max(latencies, default=None),
        "messages_per_s": len(latencies) / elapsed,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between requests")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--transport", choices=["thread", "redis"], default="thread")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL (this measures the Redis channel layer).")
    with tempfile.TemporaryDirectory() as var_dir:
        server, token, writer = start_server(args.port, var_dir, args.transport)
        print(f"# {machine()}; transport {args.transport}")
        print(
            "| clients | requests | messages | missing | dropped clients | p50 ms | p99 ms "
            "| max ms | messages/s |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
        try:
            for n in args.clients:  # printed as each round ends: a later one may fail
                report(
                    asyncio.run(one_round(args.port, token, n, args.requests, args.gap, f"r{n}"))
                )
        finally:
            server.stop()
            if writer is not None:
                writer.terminate()
                writer.wait(60)


def report(r):
    def number(key):
        return "-" if r[key] is None else f"{r[key]:.0f}"

    print(
        f"| {r['clients']} | {r['requests']} | {r['messages']} | {r['missing']} "
        f"| {r['dropped_clients']} | {number('p50_ms')} | {number('p99_ms')} "
        f"| {number('max_ms')} | {number('messages_per_s')} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
