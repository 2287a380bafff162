"""What capture costs the host: flowscope against OpenTelemetry, on a project neither shaped.

``bench/peer_project`` is a tiny plain Django project with two views: ``/work/`` (4 ORM
queries, ``cache.get`` and ``cache.set``) and ``/empty/``. One gunicorn server (one sync
worker) per variant serves it, each from its own freshly migrated database:

- ``bare``: no instrumentation;
- ``flowscope``: flowscope's middleware first, every step sampled, stored in the same database;
- ``flowscope-stream``: the same with the "redis" transport: the worker only prepares, encodes
  and appends its records to a Redis stream (``--stream-url``, a key of the run's own, deleted
  at the end), and one ``flowscope_writer`` process beside the server writes them to the store;
- ``otel``: OpenTelemetry's Django and DB-API instrumentation, a batch span processor and an
  exporter that discards (after counting) what it is given;
- ``flowscope@REF`` (with ``--flowscope-ref``): flowscope as it was at an older commit.

``wrk`` drives one server at a time; every round runs every variant on each view, rotating
the order, because on a small shared machine only interleaved runs are comparable. For each
run: requests/s, and the worker process's CPU (all threads) per request. After a flowscope
run the script waits until the recorder has stored every request it served, and counts that
writer CPU into the run; the stream variant's writer process has its own CPU column (the
host's server pays the worker's; the writer may run elsewhere). Steps per request are read
back at the end: flowscope's from its store, OpenTelemetry's from the exporter's count.

    .venv/bin/python bench/capture_peer.py [--rounds 5] [--duration 8]
        [--database sqlite|postgres] [--pg-database NAME] [--stream-url URL]
        [--flowscope-ref COMMIT] [--json FILE] [--keep]

Needs the ``bench`` extra (gunicorn, OpenTelemetry) and ``wrk``; results and the command
that produced them: docs/benchmarks.md.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import psutil
from bench_common import (
    CLEARED_ENV,
    HOST,
    REPO_DIR,
    describe_code,
    export_ref,
    free_port,
    machine,
    wait_for_quiet,
)

PEER_DIR = Path(__file__).resolve().parent / "peer_project"
VIEWS = ("/work/", "/empty/")
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "bench_peer"
STREAM_URL = "redis://127.0.0.1:6379/0"
INSTALL = 'pip install -c requirements/constraints.txt -e ".[dev,bench]"'
NEEDED_MODULES = (
    "gunicorn",
    "opentelemetry.sdk",
    "opentelemetry.instrumentation.django",
    "opentelemetry.instrumentation.sqlite3",
    "opentelemetry.instrumentation.psycopg",
)
# Flowscope's targets (docs/benchmarks.md): RPS kept per view, and CPU per captured step.
RPS_TARGETS = {"/work/": 0.90, "/empty/": 0.80}
STEP_CPU_TARGET_US = 40


def check_tools():
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    for module in NEEDED_MODULES:
        if importlib.util.find_spec(module) is None:
            sys.exit(f"{module} is missing: install the bench extra with\n    {INSTALL}")


# --- the servers ---------------------------------------------------------------------------


@dataclass
class Variant:
    name: str
    kind: str  # PEER_VARIANT: bare, flowscope, flowscope-stream or otel
    src: Path | None  # flowscope's source, first on the path
    database_url: str
    workdir: Path
    stream_url: str = STREAM_URL
    served: int = 0  # requests answered so far, warm-ups and checks included
    process: subprocess.Popen | None = None
    worker: psutil.Process | None = None
    writer: subprocess.Popen | None = None  # flowscope_writer, for the stream variant
    port: int = field(default_factory=free_port)
    stream_key: str = field(default_factory=lambda: f"flowscope:peer:{uuid.uuid4().hex[:12]}")

    @property
    def captures(self):
        return self.kind.startswith("flowscope")

    @property
    def streams(self):
        return self.kind == "flowscope-stream"

    @property
    def log(self):
        return self.workdir / f"gunicorn-{self.name}.log"

    @property
    def span_counts(self):
        return self.workdir / f"spans-{self.name}.json"

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        paths = [PEER_DIR, *([self.src] if self.src else [])]
        env.update(
            DJANGO_SETTINGS_MODULE="peer.settings",
            PYTHONPATH=os.pathsep.join(map(str, paths)),
            PEER_VARIANT=self.kind,
            DATABASE_URL=self.database_url,
            PEER_SPAN_COUNTS=str(self.span_counts),
            PEER_STREAM_URL=self.stream_url,
            PEER_STREAM_KEY=self.stream_key,
        )
        return env


def migrate(variant):
    """The app's tables and 200 items; flowscope's tables too for a flowscope variant."""
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=PEER_DIR,
        env=variant.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"{variant.name}: migrate failed\n{done.stderr[-3000:]}")


def recreate_postgres(name):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start(variant):
    command = [
        sys.executable, "-m", "gunicorn", "peer.wsgi:application",
        "--bind", f"{HOST}:{variant.port}", "--workers", "1", "--worker-class", "sync",
        "--config", "python:peer.gunicorn_conf", "--log-level", "warning",
    ]  # fmt: skip
    log = open(variant.log, "w")  # noqa: SIM115 (open as long as the server runs)
    variant.process = subprocess.Popen(
        command, cwd=PEER_DIR, env=variant.env(), stdout=log, stderr=subprocess.STDOUT
    )
    if variant.streams:
        start_writer(variant)


def start_writer(variant):
    """One ``flowscope_writer`` beside the server: same settings, same store."""
    command = [sys.executable, "manage.py", "flowscope_writer", "--consumer", variant.name]
    log = open(variant.workdir / f"writer-{variant.name}.log", "w")  # noqa: SIM115 (as above)
    variant.writer = subprocess.Popen(
        command, cwd=PEER_DIR, env=variant.env(), stdout=log, stderr=subprocess.STDOUT
    )


def fail(variant, message):
    stop(variant)
    sys.exit(f"{variant.name}: {message}\n{variant.log.read_text()[-3000:]}")


def wait_until_up(variant, seconds=60):
    """Answered ``/empty/`` once; then the worker process is known."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if variant.process.poll() is not None:
            fail(variant, "gunicorn exited")
        try:
            with urllib.request.urlopen(variant.url("/empty/"), timeout=5):
                variant.served += 1
                break
        except OSError:
            time.sleep(0.2)
    else:
        fail(variant, f"no answer within {seconds} s")
    workers = psutil.Process(variant.process.pid).children()
    if len(workers) != 1:
        fail(variant, f"expected one worker, found {len(workers)}")
    variant.worker = workers[0]


def worker_cpu(variant):
    """User + system seconds of the worker, every thread (the recorder's writer too)."""
    if not variant.worker.is_running():
        fail(variant, "the worker died (a restarted worker would lose its counts)")
    times = variant.worker.cpu_times()
    return times.user + times.system


def writer_cpu(variant):
    """User + system seconds of the stream variant's writer process (0 for the others)."""
    if variant.writer is None:
        return 0.0
    if variant.writer.poll() is not None:
        fail(variant, "flowscope_writer exited")
    times = psutil.Process(variant.writer.pid).cpu_times()
    return times.user + times.system


def stop(variant, timeout=60):
    """SIGTERM: the worker exits gracefully (OpenTelemetry's exporter writes its counts),
    then the writer (it writes what it holds)."""
    for process in (variant.process, variant.writer):
        if process is None or process.poll() is not None:
            continue
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def delete_stream(variant):
    import redis

    with closing(redis.Redis.from_url(variant.stream_url)) as client:
        client.delete(variant.stream_key)


# --- flowscope's store ---------------------------------------------------------------------


def query(variant, sql):
    if variant.database_url.startswith("sqlite:///"):
        path = variant.database_url.removeprefix("sqlite:///")
        with closing(sqlite3.connect(path, timeout=30)) as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(variant.database_url) as conn:
        return conn.execute(sql).fetchall()


def wait_drained(variant, stalled_after=10.0):
    """Seconds until every request served is stored (each is its own workflow); stops
    waiting once the count has not moved for ``stalled_after`` seconds (drops)."""
    started = last_change = time.monotonic()
    last = -1
    while True:
        stored = query(variant, "SELECT COUNT(*) FROM flowscope_workflowsession")[0][0]
        now = time.monotonic()
        if stored >= variant.served:
            return now - started
        if stored != last:
            last, last_change = stored, now
        elif now - last_change > stalled_after:
            print(f"  {variant.name}: {variant.served - stored} requests never stored")
            return now - started
        time.sleep(0.05)


STEPS_SQL = """
SELECT api.name, COUNT(*), SUM(per.steps)
FROM flowscope_tracestep api
JOIN (SELECT workflow_id, COUNT(*) AS steps FROM flowscope_tracestep GROUP BY workflow_id) per
  ON per.workflow_id = api.workflow_id
WHERE api.layer = 'api'
GROUP BY api.name
"""


def steps_per_request(variant):
    """``{path: (requests, steps)}``: flowscope's stored steps, or OpenTelemetry's spans as
    its exporter counted them. Read after the servers stopped."""
    if variant.captures:
        rows = query(variant, STEPS_SQL)
    elif variant.kind == "otel" and variant.span_counts.exists():
        counted = json.loads(variant.span_counts.read_text())
        rows = [(name, *counts) for name, counts in counted.items()]
    else:
        return {}
    counts = {}
    for name, requests, steps in rows:
        path = "/" + name.split()[-1].lstrip("/")  # "GET /work/" or "GET work/"
        counts[path] = (int(requests), int(steps))
    return counts


# --- the load ------------------------------------------------------------------------------


def run_wrk(url, duration, connections):
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", url],
        capture_output=True,
        text=True,
        timeout=duration + 120,
        check=True,
    )
    out = done.stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        sys.exit(f"{url}: {bad.group(1)} answers were not 2xx\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    errors = re.search(r"Socket errors: (.*)", out)
    return requests, rps, errors.group(1) if errors else ""


def measure(variant, path, args):
    busy = wait_for_quiet(args.quiet_wait)[0] if args.quiet_wait else None
    before = worker_cpu(variant), writer_cpu(variant)
    requests, rps, socket_errors = run_wrk(variant.url(path), args.duration, args.connections)
    variant.served += requests
    drained_in = wait_drained(variant) if variant.captures else None
    cpu = worker_cpu(variant) - before[0]
    writer = writer_cpu(variant) - before[1]
    return {
        "variant": variant.name,
        "path": path,
        "rps": rps,
        "requests": requests,
        "cpu_us_per_request": cpu / requests * 1e6,
        "writer_cpu_us_per_request": writer / requests * 1e6 if variant.streams else None,
        "drained_in": drained_in,
        "busy_before": busy,
        "socket_errors": socket_errors,
    }


def rounds(variants, args):
    runs = []
    for index in range(args.rounds):
        shift = index % len(variants)
        order = variants[shift:] + variants[:shift]
        views = VIEWS if index % 2 == 0 else VIEWS[::-1]
        for path in views:
            for variant in order:
                run = measure(variant, path, args) | {"round": index + 1}
                runs.append(run)
                print(format_run(run), flush=True)
    return runs


def format_run(run):
    drained = f", drained in {run['drained_in']:.2f} s" if run["drained_in"] is not None else ""
    busy = f", busy before {run['busy_before']:.2f}" if run["busy_before"] is not None else ""
    errors = f", socket errors {run['socket_errors']}" if run["socket_errors"] else ""
    writer = run["writer_cpu_us_per_request"]
    writer = f" + writer {writer:.0f} us" if writer is not None else ""
    return (
        f"round {run['round']} {run['path']:8} {run['variant']:22} {run['rps']:8.1f} rps "
        f"{run['cpu_us_per_request']:8.0f} us CPU/request{writer}{drained}{busy}{errors}"
    )


# --- the summary ---------------------------------------------------------------------------


def per_round(runs, name, path, key):
    return {r["round"]: r[key] for r in runs if r["variant"] == name and r["path"] == path}


def median_or_none(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def summarize(runs, variants, steps):
    """Per view and variant: medians, and against bare the median of per-round ratios and
    differences (rounds drift together, so a round is compared with itself)."""
    rows = []
    for path in VIEWS:
        bare_rps = per_round(runs, "bare", path, "rps")
        bare_cpu = per_round(runs, "bare", path, "cpu_us_per_request")
        for variant in variants:
            rps = per_round(runs, variant.name, path, "rps")
            cpu = per_round(runs, variant.name, path, "cpu_us_per_request")
            requests, total = steps.get(variant.name, {}).get(path, (0, 0))
            per_request = total / requests if requests else None
            added = statistics.median(cpu[r] - bare_cpu[r] for r in cpu)
            writer = per_round(runs, variant.name, path, "writer_cpu_us_per_request")
            rows.append(
                {
                    "path": path,
                    "variant": variant.name,
                    "median_rps": statistics.median(rps.values()),
                    "rps_ratio": statistics.median(rps[r] / bare_rps[r] for r in rps),
                    "cpu_us_per_request": statistics.median(cpu.values()),
                    "added_cpu_us_per_request": added,
                    "writer_cpu_us_per_request": median_or_none(writer.values()),
                    "steps_per_request": per_request,
                    "added_cpu_us_per_step": added / per_request if per_request else None,
                }
            )
    return rows


def number(value, digits=0):
    return "—" if value is None else f"{value:,.{digits}f}"


def summary_table(rows):
    lines = [
        "| view | variant | median RPS | RPS / bare | CPU µs/request | added µs/request "
        "| writer process µs/request | steps/request | added µs/step |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        bare = row["variant"] == "bare"
        lines.append(
            f"| `{row['path']}` | {row['variant']} | {number(row['median_rps'], 1)} "
            f"| {number(row['rps_ratio'], 3)} | {number(row['cpu_us_per_request'])} "
            f"| {'—' if bare else number(row['added_cpu_us_per_request'])} "
            f"| {number(row['writer_cpu_us_per_request'])} "
            f"| {'—' if bare else number(row['steps_per_request'], 2)} "
            f"| {'—' if bare else number(row['added_cpu_us_per_step'], 1)} |"
        )
    return "\n".join(lines)


def runs_table(runs):
    lines = [
        "| round | view | variant | RPS | CPU µs/request | writer µs/request | drained in "
        "| busy cores before |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        drained = "—" if run["drained_in"] is None else f"{run['drained_in']:.2f} s"
        lines.append(
            f"| {run['round']} | `{run['path']}` | {run['variant']} | {run['rps']:.1f} "
            f"| {run['cpu_us_per_request']:.0f} | {number(run['writer_cpu_us_per_request'])} "
            f"| {drained} | {number(run['busy_before'], 2)} |"
        )
    return "\n".join(lines)


def verdicts(rows, variants):
    """Each flowscope variant against its targets and against OpenTelemetry, per view (the
    stream variant's added CPU is its worker's: what the host's server pays)."""
    found = {(row["variant"], row["path"]): row for row in rows}
    lines = []
    for variant in (v for v in variants if v.captures):
        for path in VIEWS:
            lines += verdict(variant.name, path, found[(variant.name, path)], found[("otel", path)])
    return "\n".join(lines)


def verdict(name, path, flowscope, otel):
    ratio, step = flowscope["rps_ratio"], flowscope["added_cpu_us_per_step"]
    added, otel_added = flowscope["added_cpu_us_per_request"], otel["added_cpu_us_per_request"]
    return [
        f"- {name} `{path}` RPS / bare {ratio:.3f} (target ≥ {RPS_TARGETS[path]:.2f}): "
        + ("met" if ratio >= RPS_TARGETS[path] else "missed"),
        f"- {name} `{path}` added CPU per step {number(step, 1)} µs "
        f"(target ≤ {STEP_CPU_TARGET_US}): "
        + ("met" if step is not None and step <= STEP_CPU_TARGET_US else "missed"),
        f"- {name} `{path}` added CPU per request {added:,.0f} µs, OpenTelemetry's "
        f"{otel_added:,.0f} µs (target: less): " + ("met" if added < otel_added else "missed"),
    ]


# --- putting it together -------------------------------------------------------------------


def make_variants(args, workdir):
    """The variants, each with its database; flowscope's source for the flowscope ones."""
    current = REPO_DIR / "src"
    kinds = [
        ("bare", "bare", None),
        ("flowscope", "flowscope", current),
        ("otel", "otel", None),
        ("flowscope-stream", "flowscope-stream", current),
    ]
    if args.flowscope_ref:
        root, commit = export_ref(args.flowscope_ref, workdir)
        kinds.append((f"flowscope@{(commit or 'worktree')[:8]}", "flowscope", root / "src"))
    return [
        Variant(name, kind, src, database_url(args, workdir, name, src), workdir, args.stream_url)
        for name, kind, src in kinds
    ]


def database_url(args, workdir, name, src):
    if args.database == "sqlite":
        return f"sqlite:///{workdir / (name.replace('@', '-') + '.sqlite3')}"
    # Each store is counted apart (its workflows are the requests its server answered); an
    # older flowscope's tables may differ too.
    if src is not None and src != REPO_DIR / "src":
        return f"{PG_SERVER}/{args.pg_database}_ref"
    if name == "flowscope-stream":
        return f"{PG_SERVER}/{args.pg_database}_stream"
    return f"{PG_SERVER}/{args.pg_database}"


def prepare(variants, args):
    if args.database == "postgres":
        for url in sorted({variant.database_url for variant in variants}):
            recreate_postgres(url.rsplit("/", 1)[1])
    for variant in variants:
        migrate(variant)


def warm_up(variants, args):
    for variant in variants:
        start(variant)
    for variant in variants:
        wait_until_up(variant)
        for path in VIEWS:
            variant.served += run_wrk(variant.url(path), args.warmup, args.connections)[0]
        if variant.captures:
            wait_drained(variant)


def describe(args, variants):
    url = f"{PG_SERVER}/{args.pg_database}" if args.database == "postgres" else None
    tools = ", ".join(
        f"{package} {version(package)}"
        for package in ("gunicorn", "opentelemetry-sdk", "opentelemetry-instrumentation-django")
    )
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    lines = [f"Machine: {machine(url)}; {tools}; {wrk.split(' Copyright')[0].strip()}"]
    for variant in variants:
        if variant.captures:
            commit = None if variant.src == REPO_DIR / "src" else variant.name.split("@")[1]
            code = describe_code(REPO_DIR, None) if commit is None else f"commit {commit}"
            lines.append(f"{variant.name}: flowscope from the {code}")
        if variant.streams:
            lines.append(f"{variant.name}: stream {variant.stream_key} on {variant.stream_url}")
    return "\n".join(lines)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=8, help="seconds of each measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds per view, once")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--pg-database",
        default=PG_DATABASE,
        help="PostgreSQL database (recreated), and NAME_stream and NAME_ref beside it",
    )
    parser.add_argument("--stream-url", default=STREAM_URL, help="the stream variant's Redis")
    parser.add_argument("--flowscope-ref", help="also serve flowscope as it was at this commit")
    parser.add_argument(
        "--quiet-wait", type=float, default=15, help="most seconds to wait for an idle machine"
    )
    parser.add_argument("--json", type=Path, help="write the runs and the summary here")
    parser.add_argument("--keep", action="store_true", help="keep the logs and databases")
    return parser.parse_args()


def main():
    args = parse_args()
    check_tools()
    workdir = Path(tempfile.mkdtemp(prefix="capture-peer-"))
    variants = make_variants(args, workdir)
    print(describe(args, variants), flush=True)
    prepare(variants, args)
    try:
        warm_up(variants, args)
        runs = rounds(variants, args)
    finally:
        for variant in variants:
            stop(variant)
            if variant.streams:
                delete_stream(variant)
    steps = {variant.name: steps_per_request(variant) for variant in variants}
    rows = summarize(runs, variants, steps)
    print(f"\n{runs_table(runs)}\n\n{summary_table(rows)}\n\n{verdicts(rows, variants)}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "summary": rows}, indent=2))
    if args.keep:
        print(f"\nlogs and databases: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
