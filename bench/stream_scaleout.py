"""Scale-out with the "redis" transport: N uvicorn servers and M ``flowscope_writer``
processes on PostgreSQL + Redis, e.g. 1 + 1 against 2 + 2, in interleaved rounds.

Each round starts the writers and the servers afresh (one database, a stream of the run's
own), drives every server with its own closed-loop load generator (``loadgen.py``) for
``--duration`` seconds, and reports what the servers answered (requests/s) and what the
writers stored in the same window (API steps per second, counted in PostgreSQL), the
stream's backlog when the load stopped and how long the writers took to drain it, the
records the servers dropped, and the CPU each kind of process used.

``--drain``: the writers start only once the load has stopped, so that the stream holds a
backlog; what is measured is then how fast M writers write it (stored requests/s over the
drain), the writers' ceiling rather than the servers'.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_stream \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/stream_scaleout.py \\
        [--configs 1x1 2x2] [--rounds 3] [--duration 20] [--concurrency 8] [--drain]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
from bench_common import (
    REPO_DIR,
    Server,
    django_env,
    machine,
    migrate,
    recorder_counters,
    staff_token,
)

BENCH_DIR = Path(__file__).resolve().parent


def count_api_steps(database_url):
    import psycopg

    with psycopg.connect(database_url) as conn:
        query = "SELECT count(*) FROM flowscope_tracestep WHERE layer = 'api'"
        return conn.execute(query).fetchone()[0]


def stream_state(url, key):
    import redis

    client = redis.Redis.from_url(url)
    try:
        if not client.exists(key):
            return 0, 0
        try:
            pending = client.xpending(key, "flowscope-writers")["pending"]
        except redis.ResponseError:  # no writer made the group yet
            pending = 0
        return client.xlen(key), pending
    finally:
        client.close()


def start_writers(env, count, log_dir):
    writers = []
    for index in range(count):
        log = open(log_dir / f"writer-{index}.log", "w")  # noqa: SIM115 (open while it runs)
        writers.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "flowscope_writer", "--consumer", f"w{index}"],
                cwd=REPO_DIR / "example",
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return writers


def cpu(processes):
    total = 0.0
    for process in processes:
        times = psutil.Process(process.pid).cpu_times()
        total += times.user + times.system
    return total


def load(servers, args):
    """One load generator per server, all at once; their JSON summaries."""
    generators = [
        subprocess.Popen(
            [
                sys.executable, str(BENCH_DIR / "loadgen.py"), "--port", str(server.port),
                "--concurrency", str(args.concurrency), "--warmup", str(args.warmup),
                "--duration", str(args.duration),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for server in servers
    ]  # fmt: skip
    return [json.loads(g.communicate(timeout=args.duration * 4 + 120)[0]) for g in generators]


def one_round(config, args, base_env, token_env, log_dir):
    servers_count, writers_count = config
    key = f"flowscope:bench:{uuid.uuid4().hex}"
    env = {**base_env, "FLOWSCOPE_TRANSPORT": "redis", "BENCH_STREAM_KEY": key}
    env["FLOWSCOPE_STREAM_URL"] = os.environ["REDIS_URL"]
    writers = [] if args.drain else start_writers(env, writers_count, log_dir)
    servers = [Server(f"s{i}", REPO_DIR, env, log_dir).start() for i in range(servers_count)]
    try:
        for server in servers:
            server.wait_until_up("/api/v1/products/?page_size=1", seconds=60)
        steps_before = count_api_steps(os.environ["DATABASE_URL"])
        cpu_before = (sum(s.cpu_seconds() for s in servers), cpu(writers))
        time.sleep(args.warmup)
        window_start = time.monotonic()
        answers = load(servers, args)
        # The generators measured [warmup, warmup + duration]; steps are counted over the
        # whole run of the load, warmup included, so that both figures cover the same span.
        elapsed = time.monotonic() - window_start + args.warmup
        stored = count_api_steps(os.environ["DATABASE_URL"]) - steps_before
        cpu_after = (sum(s.cpu_seconds() for s in servers), cpu(writers))
        backlog = stream_state(os.environ["REDIS_URL"], key)
        drain_started = time.monotonic()
        if args.drain:
            writers = start_writers(env, writers_count, log_dir)
        while stream_state(os.environ["REDIS_URL"], key) != (0, 0):
            if time.monotonic() - drain_started > 600:
                break
            time.sleep(0.2)
        drained_in = time.monotonic() - drain_started
        writer_span = elapsed
        if args.drain:  # what the writers wrote, over the drain (their start included)
            stored = count_api_steps(os.environ["DATABASE_URL"]) - steps_before
            writer_span = drained_in
            cpu_after = (cpu_after[0], cpu(writers))
        dropped = sum(recorder_counters(s, token_env)["dropped"] for s in servers)
    finally:
        for server in servers:
            server.stop()
        for writer in writers:
            writer.terminate()
            writer.wait(60)
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(key)
    return {
        "config": f"{servers_count}x{writers_count}",
        "served_rps": sum(a["rps"] for a in answers),
        "p99_ms": max(a["p99_ms"] for a in answers),
        "stored_per_s": stored / writer_span,
        "backlog_entries": backlog[0],
        "drained_s": drained_in,
        "dropped": dropped,
        "server_cpu": (cpu_after[0] - cpu_before[0]) / elapsed,
        "writer_cpu": (cpu_after[1] - cpu_before[1]) / writer_span,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["1x1", "2x2"], help="SERVERSxWRITERS")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=8, help="connections per server")
    parser.add_argument("--drain", action="store_true", help="writers start after the load")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("Set DATABASE_URL (postgres://...) and REDIS_URL.")
    configs = [tuple(int(n) for n in c.split("x")) for c in args.configs]
    with tempfile.TemporaryDirectory() as var_dir:
        base_env = django_env(
            REPO_DIR,
            settings="bench.settings_stream",
            BENCH_STREAM_KEY="flowscope:bench:setup",
            FLOWSCOPE_VAR_DIR=var_dir,
            DATABASE_URL=url,
            REDIS_URL=os.environ["REDIS_URL"],
            CACHE_KEY_PREFIX=f"bench-{os.getpid()}",
            SHOP_PAYMENT_LATENCY_MS=0,
        )
        migrate(REPO_DIR, base_env, seed=True)
        token = staff_token(REPO_DIR, base_env)
        print(f"# {machine(url)}")
        print(
            "| round | servers x writers | served req/s | p99 ms | stored req/s | backlog "
            "entries | drained in s | dropped | server CPU cores | writer CPU cores |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
        results = {}
        for number in range(1, args.rounds + 1):
            for config in configs:  # interleaved: a noisy minute hurts every config alike
                r = one_round(config, args, base_env, token, Path(var_dir))
                results.setdefault(r["config"], []).append(r)
                print(
                    f"| {number} | {r['config']} | {r['served_rps']:.0f} | {r['p99_ms']:.0f} "
                    f"| {r['stored_per_s']:.0f} | {r['backlog_entries']} "
                    f"| {r['drained_s']:.1f} | {r['dropped']} | {r['server_cpu']:.2f} "
                    f"| {r['writer_cpu']:.2f} |",
                    flush=True,
                )
        for config, rounds in results.items():
            served = statistics.median(r["served_rps"] for r in rounds)
            stored = statistics.median(r["stored_per_s"] for r in rounds)
            print(f"# {config}: median served {served:.0f} req/s, stored {stored:.0f} req/s")


if __name__ == "__main__":
    main()
