"""What flowscope's capture costs: RPS of the shop's product list with the middleware ON/OFF.

Two uvicorn servers (one worker each) serve the example project from their own copy of a
freshly seeded SQLite database: ON with the example settings as they are (100% sampling,
database and cache steps), OFF with ``bench/settings_without_flowscope.py``. A separate
load-generator process (``bench/loadgen.py``) drives one server at a time, alternating ON and
OFF within each round (and which goes first), because on a small shared machine the speed
drifts and only interleaving makes the two sides comparable. The product cache is disabled
(``SHOP_PRODUCT_CACHE_SECONDS=0``), so every request has cache and database steps.

After an ON run it waits for the recorder to write what it queued, so that the writer's work
is not left to slow the next OFF run, and finally counts the rows written: each request
without ``X-Correlation-ID`` is its own workflow, so requests answered minus workflows stored
is what was dropped.

    .venv/bin/python bench/capture_overhead.py [--rounds 6] [--duration 10] [--concurrency 8]
        [--ref COMMIT]            # serve a clean export of a commit instead of the working tree
        [--baseline-ref COMMIT]   # and that commit with the middleware ON, in the same rounds

With ``--baseline-ref`` a third server (BASE) serves the older code with flowscope ON from
its own copy of the seeded database, and every round runs all three in turn (rotating which
goes first): before and after measured side by side, against the same OFF.

Results and the command that produced them: docs/benchmarks.md.
"""

import argparse
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

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
)

PATH = "/api/v1/products/"
DATABASE_FILE = "flowscope-demo.sqlite3"  # the name the example's settings give it
ON_SETTINGS = "ecommerce_project.settings"
OFF_SETTINGS = "bench.settings_without_flowscope"


class Side(Server):
    """The ON or the OFF server: its settings, its own database, what it answered."""

    def __init__(self, name, settings, root, var_dir, debug):
        self.settings, self.var_dir = settings, var_dir
        super().__init__(name, root, side_env(root, var_dir, settings, debug), var_dir.parent)
        self.answered = 0  # every response it gave, warm-ups and checks included
        self.runs = []

    @property
    def database(self):
        return self.var_dir / DATABASE_FILE


# --- setting up -------------------------------------------------------------------------


def side_env(root, var_dir, settings, debug):
    """The same environment for both sides but the settings module."""
    return django_env(
        root,
        settings=settings,
        debug=debug,
        FLOWSCOPE_VAR_DIR=var_dir,
        SHOP_PRODUCT_CACHE_SECONDS=0,
        SHOP_PAYMENT_LATENCY_MS=0,
    )


def prepare_databases(on, off, debug, base=None):
    """Migrate and seed once, then give the OFF side an identical copy; the BASE side
    migrates its own (its code may have other migrations). The staff token reads the
    recorder counters of the flowscope sides."""
    env = side_env(on.root, on.var_dir, ON_SETTINGS, debug)
    migrate(on.root, env, seed=True)
    token = staff_token(on.root, env)
    off.var_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(on.database) as source, sqlite3.connect(off.database) as copy:
        source.backup(copy)
    if base is not None:
        base.var_dir.mkdir(parents=True, exist_ok=True)
        base_env = side_env(base.root, base.var_dir, ON_SETTINGS, debug)
        migrate(base.root, base_env, seed=True)
        base.token = staff_token(base.root, base_env)
    return token


def get(server, path=PATH):
    """A traced request: counted in what the ON server must store."""
    with urllib.request.urlopen(server.url(path), timeout=10) as response:
        answer = response.status, response.headers, json.loads(response.read())
    server.answered += 1
    return answer


def check_server(server, traced):
    """Fail loudly unless the server is the one it claims to be, serving the seeded shop."""
    server.wait_until_up(PATH)
    server.answered += 1
    status, headers, body = get(server)
    has_header = headers.get("X-Correlation-ID") is not None
    if status != 200 or body.get("count") != 240:
        server.fail(f"unexpected answer {status} {str(body)[:200]}")
    if has_header != traced:
        server.fail(f"X-Correlation-ID present={has_header}, expected {traced}")


# --- measuring --------------------------------------------------------------------------


def run_load(server, args):
    """One measured run against one server, from a fresh load-generator process."""
    command = [
        sys.executable, str(BENCH_DIR / "loadgen.py"), "--port", str(server.port),
        "--path", PATH, "--pages", str(args.pages), "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--duration", str(args.duration),
    ]  # fmt: skip
    timeout = args.warmup + args.duration + 60
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        server.fail(f"the load generator failed:\n{done.stderr}")
    result = json.loads(done.stdout)
    server.answered += result["total_responses"]
    server.runs.append(result)
    return result


def count_workflows(database):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
        return db.execute("SELECT COUNT(*) FROM flowscope_workflowsession").fetchone()[0]


def wait_for_recorder(server, timeout=30.0, patience=3.0):
    """Wait until every answered request is stored (or nothing moves for ``patience``):
    the writer's backlog belongs to the ON run, not to the OFF run that follows."""
    started = time.monotonic()
    backlog = server.answered - count_workflows(server.database)
    last, last_change = backlog, started
    while last > 0 and time.monotonic() - started < timeout:
        time.sleep(0.1)
        pending = server.answered - count_workflows(server.database)
        if pending != last:
            last, last_change = pending, time.monotonic()
        elif time.monotonic() - last_change > patience:
            break
    return {"backlog": backlog, "drain_s": round(time.monotonic() - started, 2)}


def clocks(server):
    """Server CPU, load-generator CPU, machine busy time, wall time: all in seconds."""
    return server.cpu_seconds(), children_cpu_seconds(), busy_seconds(), time.monotonic()


def run_round(number, sides, args):
    """Each side in turn, the first one rotating from round to round. CPU per request is
    the cost that RPS on a shared machine hides (a flowscope side's includes the writer
    catching up after the run); "others" is the CPU that neither the server nor the load
    generator used, in cores: other tenants of the machine."""
    shift = (number - 1) % len(sides)
    order = sides[shift:] + sides[:shift]
    row = {"round": number, "first": order[0].name}
    for server in order:
        before = clocks(server)
        result = run_load(server, args)
        if server.name == "ON":
            row["recorder"] = wait_for_recorder(server)
        elif server.name == "BASE":
            wait_for_recorder(server)
        used = [now - then for now, then in zip(clocks(server), before, strict=True)]
        per_request = 1000 / result["total_responses"]
        result["server_cpu_ms"] = used[0] * per_request
        result["loadgen_cpu_ms"] = used[1] * per_request
        result["others_cores"] = max(0.0, used[2] - used[0] - used[1]) / used[3]
        row[server.name] = result
        time.sleep(args.pause)
    report_round(row)
    return row


# --- reporting --------------------------------------------------------------------------


def report_round(row):
    on, off, recorder = row["ON"], row["OFF"], row["recorder"]
    base = row.get("BASE")
    baseline = (
        f" {base['rps']:.1f} | {base['rps'] / off['rps']:.3f} | {base['server_cpu_ms']:.2f} |"
        if base
        else ""
    )
    print(
        f"| {row['round']} | {row['first']} | {on['rps']:.1f} | {off['rps']:.1f} "
        f"| {on['rps'] / off['rps']:.3f} | {on['p50_ms']:.1f} / {on['p99_ms']:.1f} "
        f"| {off['p50_ms']:.1f} / {off['p99_ms']:.1f} "
        f"| {on['server_cpu_ms']:.2f} / {off['server_cpu_ms']:.2f} "
        f"| {on['others_cores']:.2f} / {off['others_cores']:.2f} "
        f"| {recorder['backlog']} / {recorder['drain_s']:.1f} s |{baseline}",
        flush=True,
    )


def pooled(runs, fraction):
    """Nearest-rank percentile over every measured answer of every round."""
    latencies = sorted(value for run in runs for value in run["latencies_ms"])
    return latencies[max(1, math.ceil(fraction * len(latencies))) - 1]


def summary(rows):
    on = [row["ON"]["rps"] for row in rows]
    off = [row["OFF"]["rps"] for row in rows]
    ratios = [row["ON"]["rps"] / row["OFF"]["rps"] for row in rows]
    sides = [side for side in ("ON", "OFF", "BASE") if side in rows[0]]
    cpu = {
        f"{side.lower()}_{name}": statistics.median(row[side][name] for row in rows)
        for side in sides
        for name in ("server_cpu_ms", "loadgen_cpu_ms")
    }
    if "BASE" in sides:
        cpu["median_base"] = statistics.median(row["BASE"]["rps"] for row in rows)
        cpu["base_paired_ratio"] = statistics.median(
            row["BASE"]["rps"] / row["OFF"]["rps"] for row in rows
        )
    return {
        **cpu,
        "median_on": statistics.median(on),
        "median_off": statistics.median(off),
        "ratio": statistics.median(on) / statistics.median(off),
        "median_paired_ratio": statistics.median(ratios),
        "min_ratio": min(ratios),
        "max_ratio": max(ratios),
        "on_p50": pooled([r["ON"] for r in rows], 0.5),
        "on_p99": pooled([r["ON"] for r in rows], 0.99),
        "off_p50": pooled([r["OFF"] for r in rows], 0.5),
        "off_p99": pooled([r["OFF"] for r in rows], 0.99),
    }


def report_summary(result, target):
    print(
        f"\nmedian RPS: ON {result['median_on']:.1f}, OFF {result['median_off']:.1f}; "
        f"ratio ON/OFF {result['ratio']:.3f} (per-round ratios: median "
        f"{result['median_paired_ratio']:.3f}, range {result['min_ratio']:.3f}"
        f"..{result['max_ratio']:.3f}); target >= {target:.2f}: "
        f"{'MET' if result['ratio'] >= target else 'MISSED'}"
    )
    print(
        f"median CPU ms per request: server ON {result['on_server_cpu_ms']:.2f}, OFF "
        f"{result['off_server_cpu_ms']:.2f} (ON/OFF "
        f"{result['on_server_cpu_ms'] / result['off_server_cpu_ms']:.2f}); load generator "
        f"{result['on_loadgen_cpu_ms']:.2f} / {result['off_loadgen_cpu_ms']:.2f}"
    )
    print(
        f"latency over all rounds (ms): ON p50 {result['on_p50']:.1f} p99 "
        f"{result['on_p99']:.1f}; OFF p50 {result['off_p50']:.1f} p99 {result['off_p99']:.1f}"
    )
    if "median_base" in result:
        added_on = result["on_server_cpu_ms"] - result["off_server_cpu_ms"]
        added_base = result["base_server_cpu_ms"] - result["off_server_cpu_ms"]
        print(
            f"baseline in the same rounds: BASE median RPS {result['median_base']:.1f} "
            f"(BASE/OFF per round, median {result['base_paired_ratio']:.3f}; ON/OFF "
            f"{result['median_paired_ratio']:.3f}); server CPU added per request over OFF: "
            f"ON {added_on:.2f} ms, BASE {added_base:.2f} ms"
        )


def report_counters(counters):
    names = ("queued", "written", "dropped", "failed_batches", "retries", "internal_errors")
    print("recorder counters: " + ", ".join(f"{n} {counters.get(n)}" for n in names))


def stored_rows(database):
    """What the ON server's recorder wrote, read straight from its SQLite file."""
    queries = {
        "workflows": "SELECT COUNT(*) FROM flowscope_workflowsession",
        "requests_in_workflows": "SELECT COALESCE(SUM(request_count), 0) "
        "FROM flowscope_workflowsession",
        "steps": "SELECT COUNT(*) FROM flowscope_tracestep",
        "api_steps": "SELECT COUNT(*) FROM flowscope_tracestep WHERE layer = 'api'",
        "database_steps": "SELECT COUNT(*) FROM flowscope_tracestep WHERE layer = 'database'",
        "cache_steps": "SELECT COUNT(*) FROM flowscope_tracestep WHERE layer = 'cache'",
        "cache_get_misses": "SELECT COUNT(*) FROM flowscope_tracestep WHERE layer = 'cache' "
        "AND name = 'cache.get' AND json_extract(metadata, '$.hit') = 0",
        "errors": "SELECT COUNT(*) FROM flowscope_errorlog",
        "snapshots": "SELECT COUNT(*) FROM flowscope_performancesnapshot",
    }
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return {name: db.execute(sql).fetchone()[0] for name, sql in queries.items()}


def report_rows(on, off):
    rows = stored_rows(on.database)
    rows["answered"] = on.answered
    # Every request is its own workflow, so the difference was dropped: at 100% sampling.
    all_stored = on.settings == ON_SETTINGS
    rows["dropped"] = on.answered - rows["workflows"] if all_stored else "n/a (sampling)"
    rows["off_workflows"] = count_workflows(off.database)
    print(
        f"\nON server answered {on.answered} requests (warm-ups and checks included); stored "
        f"{rows['workflows']} workflows ({rows['requests_in_workflows']} requests), "
        f"{rows['steps']} steps (api {rows['api_steps']}, database {rows['database_steps']}, "
        f"cache {rows['cache_steps']}; cache.get misses {rows['cache_get_misses']}), "
        f"{rows['errors']} errors, {rows['snapshots']} rollup rows; dropped "
        f"{rows['dropped']}. OFF server stored {rows['off_workflows']} workflows."
    )
    print(f"load-generator answers carrying X-Correlation-ID: ON {headers(on)}, OFF {headers(off)}")
    return rows


def headers(server):
    carried = sum(run["total_with_correlation_id"] for run in server.runs)
    return f"{carried} of {sum(run['total_responses'] for run in server.runs)}"


# --- the run ----------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="ON+OFF pairs (default 6)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured s per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured s per run")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--pages", type=int, default=10, help="cycle ?page=1..N")
    parser.add_argument("--pause", type=float, default=0.5, help="s between runs")
    parser.add_argument("--target", type=float, default=0.90, help="ON/OFF to meet")
    parser.add_argument(
        "--debug",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Django DEBUG in both servers (the example's default is on)",
    )
    parser.add_argument(
        "--on-settings",
        default=ON_SETTINGS,
        help="diagnostics only, e.g. bench.settings_unsampled (row checks then do not apply)",
    )
    parser.add_argument(
        "--ref", help="serve this git commit (exported clean) instead of the working tree"
    )
    parser.add_argument(
        "--baseline-ref",
        help="also serve this commit with flowscope ON, in the same rounds (before/after)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, DBs)")
    return parser.parse_args()


def measure(on, off, args, workdir, code, base=None):
    print(f"machine: {machine()}\ncode: {code}\nworkdir: {workdir}", flush=True)
    sides = [on, off, *([base] if base else [])]
    token = prepare_databases(on, off, args.debug, base)
    for server in sides:
        server.start()
    check_server(on, traced=True)
    check_server(off, traced=False)
    if base:
        print(f"baseline (BASE): {args.baseline_ref}", flush=True)
        check_server(base, traced=True)
        wait_for_recorder(base)
    wait_for_recorder(on)
    print(
        f"\nON settings: {on.settings}; OFF settings: {off.settings}"
        f"\nGET {PATH}?page=1..{args.pages}, concurrency {args.concurrency}, "
        f"{args.warmup:g} s warm-up + {args.duration:g} s measured per run, DEBUG={args.debug}\n"
        "\n| round | first | ON rps | OFF rps | ON/OFF | ON p50 / p99 ms "
        "| OFF p50 / p99 ms | server CPU ms/request ON / OFF | others' CPU (cores) ON / OFF "
        "| ON backlog at end / drained in |"
        + (" BASE rps | BASE/OFF | BASE server CPU ms/request |" if base else "")
        + "\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        + (" --- | --- | --- |" if base else ""),
        flush=True,
    )
    rows = [run_round(number, sides, args) for number in range(1, args.rounds + 1)]
    result = summary(rows)
    report_summary(result, args.target)
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min)")
    wait_for_recorder(on)
    result["recorder"] = recorder_counters(on, token)
    if base:
        result["base_recorder"] = recorder_counters(base, base.token)
    for server in sides:
        server.stop()
    report_counters(result["recorder"])
    result["rows"] = report_rows(on, off)
    return rows, result


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="flowscope-bench-"))
    on = off = base = None
    try:
        root, commit = export_ref(args.ref or "worktree", workdir)
        on = Side("ON", args.on_settings, root, workdir / "on", args.debug)
        off = Side("OFF", OFF_SETTINGS, root, workdir / "off", args.debug)
        if args.baseline_ref:
            base_root, _ = export_ref(args.baseline_ref, workdir / "baseline")
            base = Side("BASE", args.on_settings, base_root, workdir / "base", args.debug)
        rows, result = measure(on, off, args, workdir, describe_code(root, commit), base)
    finally:
        for server in (on, off, base):
            if server is not None:
                server.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        for row in rows:  # the raw latencies are only needed for the pooled percentiles
            for side in ("ON", "OFF", "BASE"):
                row.get(side, {}).pop("latencies_ms", None)
        args.json.write_text(
            json.dumps({"args": vars(args), "rounds": rows, **result}, default=str)
        )
    non_200 = sum(
        row[side]["non_200"] for row in rows for side in ("ON", "OFF", "BASE") if side in row
    )
    if non_200:
        sys.exit(f"{non_200} answers were not 200: the figures are not valid")


if __name__ == "__main__":
    main()
