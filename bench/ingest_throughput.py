"""Ingest throughput: browser events and OTLP spans a second that flowscope accepts (HTTP
202/200) and writes (rows in the database once the recorder has flushed), on SQLite and
on PostgreSQL.

For each database configuration a fresh database is migrated and one uvicorn server (one
worker) serves the example project with ``bench/settings_ingest.py`` (the example's
settings with ``INGEST_RATE`` raised to 1,000,000/min, so that the single key is not
throttled) and the key in ``FLOWSCOPE_INGEST_KEY``. Then, per endpoint:

1. ``ingest_loadgen.py`` (another process) sends batches from ``--concurrency`` keep-alive
   clients for ``--warmup`` + ``--duration`` seconds: ``--batch`` browser events (of
   ``--workflows`` workflows) per ``POST /api/v1/debugging/ingest/``, or ``--batch`` OTLP
   spans (``--workflows`` traces) per protobuf ``POST /api/v1/debugging/otlp/v1/traces``.
2. Meanwhile the rows written are polled (highest step and error ids); afterwards the
   recorder is waited for (``GET /api/v1/debugging/health/`` as staff: queue empty, rows
   stable) for at most ``--drain-timeout`` seconds, and its counters read: what it
   dropped (full queue or failed writes) is lost.

Accepted/s counts what the server answered in the measured window; written/s counts rows
that reached the database in that same window, and again including the time the writer
needed afterwards to catch up. A rate that is accepted but not written is a backlog (or a
loss), not throughput.

3. The books must balance, exactly: every event or span the server accepted (``202``/``200``,
   warm-up included) is a row in the store (steps, plus errors for browser events) or was
   counted as dropped by the recorder (``dropped``, by reason). Requests the recorder refused
   (``503``, counted in ``refused``) were not accepted and stored nothing; the load
   generator does not retry them.

With ``postgres+stream`` the server uses the "redis" transport: it only appends prepared
batches to a Redis stream, and ``--writers`` ``flowscope_writer`` processes started beside
it write them (their CPU is reported beside the server's; the drain waits for the stream
to be empty and acknowledged).

    .venv/bin/python bench/ingest_throughput.py [--configs sqlite,postgres] [--duration 60]
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import psycopg
from bench_common import (
    BENCH_DIR,
    Server,
    busy_seconds,
    children_cpu_seconds,
    describe_code,
    django_env,
    export_ref,
    machine,
    migrate,
    recorder_counters,
    staff_token,
    wait_for_quiet,
)
from dashboard_data import ensure_database

SETTINGS = "bench.settings_ingest"
INGEST_KEY = "flowscope-bench-ingest-key"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/flowscope_bench_ingest"
REDIS_URL = "redis://127.0.0.1:6379/5"
TABLES = ("flowscope_tracestep", "flowscope_errorlog")
DEFAULT_BATCH = {"browser": (50, 5), "otlp": (100, 10)}
FLOWSCOPE_TABLES = (
    "flowscope_workflowsession",
    "flowscope_tracestep",
    "flowscope_errorlog",
    "flowscope_performancesnapshot",
)


# --- databases ------------------------------------------------------------------------------


class Store:
    """Where one configuration writes, and how its rows are counted from outside."""

    def __init__(self, name, args, workdir):
        self.name = name
        self.var_dir = workdir / name.replace("+", "-")
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.postgres = name.startswith("postgres")
        self.url = args.postgres_url if self.postgres else None
        self.redis = name.endswith(("+redis", "+stream"))
        self.stream = name.endswith("+stream")  # the "redis" transport, with writers
        self.sqlite_file = self.var_dir / "flowscope-demo.sqlite3"  # the example's name
        self.flowscope = dict(args.flowscope or ())  # more FLOWSCOPE settings
        self.token = None  # the staff token that reads the recorder's counters
        self._conn = None

    def env(self, root, debug):
        return django_env(
            root,
            settings=SETTINGS,
            debug=debug,
            FLOWSCOPE_VAR_DIR=self.var_dir,
            FLOWSCOPE_INGEST_KEY=INGEST_KEY,
            DATABASE_URL=self.url,
            REDIS_URL=REDIS_URL if self.redis else None,
            # "+redis": Redis cache and channel layer, the in-process writer; "+stream":
            # also the Redis stream transport, written by ``--writers`` flowscope_writers.
            FLOWSCOPE_TRANSPORT="redis" if self.stream else "thread",
            FLOWSCOPE_STREAM_URL=REDIS_URL if self.stream else None,
            CACHE_KEY_PREFIX="flowscope-bench-ingest" if self.redis else None,
            FLOWSCOPE_BENCH_SETTINGS=json.dumps(self.flowscope) if self.flowscope else None,
        )

    def prepare(self, root, debug):
        """A migrated database without flowscope rows, and the staff user's token."""
        if self.postgres:
            ensure_database(self.url)
        env = self.env(root, debug)
        migrate(root, env)
        if self.postgres:
            with psycopg.connect(self.url) as conn:
                conn.execute(f"TRUNCATE {', '.join(FLOWSCOPE_TABLES)} RESTART IDENTITY CASCADE")
        self.token = staff_token(root, env)

    def connect(self):
        if self._conn is None:
            if self.postgres:
                self._conn = psycopg.connect(self.url, autocommit=True)
            else:
                self._conn = sqlite3.connect(f"file:{self.sqlite_file}?mode=ro", uri=True)
        return self._conn

    def high_ids(self):
        """The highest step and error ids: rows are only added, so their growth is what
        was written (cheap, unlike COUNT(*) on a growing table)."""
        conn = self.connect()
        return tuple(
            conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]
            for table in TABLES
        )

    def counts(self):
        conn = self.connect()
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in FLOWSCOPE_TABLES
        }

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# --- one phase -------------------------------------------------------------------------------


def batch_of(kind, args):
    """``(items, workflows)`` per request: 50 events of 5 workflows, 100 spans of 10 traces."""
    items, workflows = DEFAULT_BATCH[kind]
    return args.batch or items, args.workflows or workflows


def start_loadgen(server, kind, args, seed, warmup, duration):
    items, workflows = batch_of(kind, args)
    command = [
        sys.executable, str(BENCH_DIR / "ingest_loadgen.py"), "--port", str(server.port),
        "--key", INGEST_KEY, "--kind", kind, "--batch", str(items),
        "--workflows", str(workflows), "--concurrency", str(args.concurrency),
        "--warmup", str(warmup), "--duration", str(duration), "--seed", str(seed),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def poll_until_done(process, store, samples, interval=0.25):
    """Row high-water marks while the load generator runs."""
    while process.poll() is None:
        samples.append((time.time(), *store.high_ids()))
        time.sleep(interval)
    out, err = process.communicate()
    if process.returncode:
        sys.exit(f"ingest_loadgen.py failed:\n{err[-3000:]}")
    return json.loads(out)


def settled(stats):
    """Nothing queued or in the writer's hands: every queued record written (or sent to
    the stream, and the stream written by the writers) or dropped."""
    handed_on = stats.get("written", 0) + stats.get("sent", 0)
    stream_done = not stats.get("stream_length") and not stats.get("stream_pending")
    caught_up = handed_on + stats["dropped"] >= stats["queued"]
    return stats["queue_depth"] == 0 and caught_up and stream_done


def drain(server, store, samples, timeout, patience=1.0):
    """Wait until the recorder has settled and no row moved for ``patience`` s; return the
    seconds until the last row was written, and whether it settled in time."""
    started = time.monotonic()
    last, last_change = store.high_ids(), time.monotonic()
    while time.monotonic() - started < timeout:
        time.sleep(0.25)
        now = store.high_ids()
        samples.append((time.time(), *now))
        if now != last:
            last, last_change = now, time.monotonic()
        elif time.monotonic() - last_change > patience and settled(
            recorder_counters(server, store.token)
        ):
            return round(last_change - started, 2), True
    return round(time.monotonic() - started, 2), False


def rows_at(samples, moment, index):
    """Rows (high id) at ``moment``, linearly interpolated between polls."""
    before = [s for s in samples if s[0] <= moment]
    after = [s for s in samples if s[0] >= moment]
    if not before:
        return after[0][index]
    if not after:
        return before[-1][index]
    (t0, v0), (t1, v1) = (before[-1][0], before[-1][index]), (after[0][0], after[0][index])
    return v0 if t1 == t0 else v0 + (v1 - v0) * (moment - t0) / (t1 - t0)


def written_between(samples, start, end, kind):
    """Items written in ``[start, end]``: steps (and, for browser events, errors too)."""
    steps = rows_at(samples, end, 1) - rows_at(samples, start, 1)
    errors = rows_at(samples, end, 2) - rows_at(samples, start, 2)
    return steps + errors if kind == "browser" else steps


def run_phase(kind, server, store, args, seed):
    others, waited = wait_for_quiet(args.quiet_wait, args.quiet_threshold)
    before_stats = recorder_counters(server, store.token)
    base = store.high_ids()
    samples = [(time.time(), *base)]
    cpu_before = server.cpu_seconds(), busy_seconds(), children_cpu_seconds(), time.monotonic()
    writers_before = writers_cpu(server)
    process = start_loadgen(server, kind, args, seed, args.warmup, args.duration)
    load = poll_until_done(process, store, samples)
    cpu_after = server.cpu_seconds(), busy_seconds(), children_cpu_seconds(), time.monotonic()
    writers_cores = (writers_cpu(server) - writers_before) / (cpu_after[3] - cpu_before[3])
    load_ended = time.time()
    drain_s, drained = drain(server, store, samples, args.drain_timeout)
    after_stats = recorder_counters(server, store.token)
    end_ids = store.high_ids()
    window = (load["window_start"], load["window_end"])
    in_window = written_between(samples, *window, kind)
    written_total = (end_ids[0] - base[0]) + ((end_ids[1] - base[1]) if kind == "browser" else 0)
    wall = [after - before for after, before in zip(cpu_after, cpu_before, strict=True)]
    recorder = {
        key: after_stats.get(key, 0) - before_stats.get(key, 0)
        for key in ("queued", "written", "sent", "dropped", "refused", "failed_batches", "retries")
    }
    dropped_by_reason = {
        reason: count - before_stats["dropped_by_reason"].get(reason, 0)
        for reason, count in after_stats["dropped_by_reason"].items()
        if count - before_stats["dropped_by_reason"].get(reason, 0)
    }
    # A record is one workflow's items of one request: exactly batch / workflows of them.
    items, workflows = batch_of(kind, args)
    dropped_items = recorder["dropped"] * (items // workflows)
    written_by_end = written_between(samples, samples[0][0], load_ended, kind)
    backlog = load["total_items_accepted"] - written_by_end - dropped_items
    return {
        "kind": kind,
        "batch": batch_of(kind, args),
        "busy_before": others,
        "waited_for_quiet_s": waited,
        "load": load,
        "written_per_s_in_window": in_window / load["duration_s"],
        "backlog_at_load_end": backlog,
        "drain_s": drain_s,
        # the writer alone, once requests stopped competing with it for the GIL and CPU
        "drain_per_s": backlog / drain_s if drain_s > 0 and backlog > 0 else None,
        "drained": drained,
        "written_total": written_total,
        # from the first request sent to the last row written
        "written_per_s_overall": written_total / (load_ended + drain_s - load["sending_started"]),
        "error_rows": end_ids[1] - base[1],
        "unwritten": load["total_items_accepted"] - written_total,
        "recorder": recorder,
        "dropped_by_reason": dropped_by_reason,
        "dropped_items": dropped_items,
        # accepted = stored + counted drops, to the item (only once drained)
        "balanced": drained and load["total_items_accepted"] == written_total + dropped_items,
        "refused_answers": load["total_statuses"].get("503", 0),
        "queue_depth_after": after_stats["queue_depth"],
        "server_cores": wall[0] / wall[3],
        "writers_cores": writers_cores,
        "loadgen_cores": wall[2] / wall[3],
        "machine_busy_cores": wall[1] / wall[3],
    }


# --- one configuration ----------------------------------------------------------------------


def run_config(name, root, args, workdir):
    store = Store(name, args, workdir)
    store.prepare(root, args.debug)
    server = Server(name.replace("+", "-"), root, store.env(root, args.debug), workdir)
    server.writers = []
    try:
        if store.stream:
            reset_stream()
            server.writers = start_writers(root, store.env(root, args.debug), args, workdir)
        server.start()
        server.wait_until_up()
        # Warm up: imports, connections, the writer thread; then let it write everything.
        warm = start_loadgen(server, "browser", args, seed=999, warmup=0, duration=1)
        poll_until_done(warm, store, [])
        drain(server, store, [], args.drain_timeout)
        phases = [
            run_phase(kind, server, store, args, seed=number)
            for number, kind in enumerate(args.kinds.split(","), start=1)
        ]
        final_stats = recorder_counters(server, store.token)
    finally:
        server.stop()  # SIGTERM: the lifespan shutdown writes what the recorder still holds
        stop_writers(server.writers)
    rows = store.counts()
    store.close()
    return {"config": name, "phases": phases, "recorder": final_stats, "rows": rows}


def reset_stream():
    """A stream of this run's own: nothing left from an earlier one."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.delete("flowscope:records")
    client.close()


def start_writers(root, env, args, log_dir):
    return [
        subprocess.Popen(
            [sys.executable, "manage.py", "flowscope_writer", "--consumer", f"bench-{index}"],
            cwd=root / "example",
            env=env,
            stdout=open(log_dir / f"writer-{index}.log", "w"),
            stderr=subprocess.STDOUT,
        )
        for index in range(args.writers)
    ]


def stop_writers(writers):
    for writer in writers:
        writer.terminate()  # finishes its batch, acknowledges it, writes open rollups
    for writer in writers:
        writer.wait(timeout=60)


def writers_cpu(server):
    return sum(
        sum(psutil.Process(w.pid).cpu_times()[:2]) for w in server.writers if w.poll() is None
    )


# --- reporting ------------------------------------------------------------------------------


HEADER = (
    "| database | endpoint | answers | accepted/s | batches/s | p50 / p99 ms "
    "| written/s during load "
    "| written/s incl. drain | queued at load end | drain s (written/s alone) "
    "| accepted - written | recorder dropped: records (items) | refused (503) "
    "| accepted = written + dropped | server / machine CPU (cores) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def report_phase(config, phase):
    load = phase["load"]
    unit = "events" if phase["kind"] == "browser" else "spans"
    statuses = ", ".join(f"{v} x {k}" for k, v in sorted(load["statuses"].items()))
    alone = f" ({phase['drain_per_s']:.0f}/s)" if phase["drain_per_s"] else ""
    print(
        f"| {config} | {phase['kind']} ({unit}) | {statuses} | {load['accepted_per_s']:.0f} "
        f"| {load['batches_per_s']:.1f} | {load['p50_ms']:.0f} / {load['p99_ms']:.0f} "
        f"| {phase['written_per_s_in_window']:.0f} | {phase['written_per_s_overall']:.0f} "
        f"| {phase['backlog_at_load_end']:.0f} | {phase['drain_s']:.1f}"
        f"{'' if phase['drained'] else ' (not drained)'}{alone} | {phase['unwritten']} "
        f"| {phase['recorder']['dropped']} ({phase['dropped_items']}) "
        f"| {phase['recorder']['refused']} records, {phase['refused_answers']} answers "
        f"| {'exact' if phase['balanced'] else 'NO'} "
        f"| {phase['server_cores']:.2f}{writers_note(phase)} / "
        f"{phase['machine_busy_cores']:.2f} |",
        flush=True,
    )


def writers_note(phase):
    cores = phase.get("writers_cores")
    return f" + writers {cores:.2f}" if cores else ""


def setting(text):
    name, _, value = text.partition("=")
    return name, json.loads(value)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configs", default="sqlite,postgres", help="also: postgres+redis, postgres+stream"
    )
    parser.add_argument("--writers", type=int, default=1, help="flowscope_writers (+stream)")
    parser.add_argument("--kinds", default="browser,otlp")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--duration", type=float, default=60.0, help="measured s per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured s per phase")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive clients")
    parser.add_argument("--batch", type=int, help="events (default 50) or spans (100)")
    parser.add_argument("--workflows", type=int, help="workflows per batch (5; traces: 10)")
    parser.add_argument("--drain-timeout", type=float, default=180.0)
    parser.add_argument(
        "--quiet-wait", type=float, default=180.0, help="s to wait for an idle machine"
    )
    parser.add_argument("--quiet-threshold", type=float, default=0.3, help="busy cores")
    parser.add_argument("--debug", action="store_true", help="Django DEBUG on (off: default)")
    parser.add_argument(
        "--flowscope",
        action="append",
        type=setting,
        metavar="NAME=VALUE",
        help="a FLOWSCOPE setting of the server (VALUE is JSON), e.g. BATCH_SIZE=500",
    )
    parser.add_argument("--ref", default="HEAD", help="commit to serve, or 'worktree'")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, DBs)")
    return parser.parse_args()


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="flowscope-ingest-bench-"))
    results = []
    try:
        root, commit = export_ref(args.ref, workdir)
        print(f"machine: {machine(args.postgres_url)}\ncode: {describe_code(root, commit)}")
        print(f"{HEADER}", flush=True)
        for config in args.configs.split(","):
            result = run_config(config, root, args, workdir)
            for phase in result["phases"]:
                report_phase(config, phase)
            results.append(result)
        for result in results:
            print(f"{result['config']}: rows after shutdown {result['rows']}; "
                  f"recorder {json.dumps(result['recorder'])}")  # fmt: skip
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args), "results": results}, default=str))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
