"""Latency of ``GET /api/v1/debugging/dashboard-data/`` on a full PostgreSQL database
(100,000 workflows, 1,000,000 steps, ~20,000 errors and the per-minute rollups of 7 days)
against the same endpoint on an empty database of the same schema.

1. Both databases are created if missing (never ``test``/``test_test``) and migrated with
   the code being served; the full one is loaded by ``dashboard_data.py`` (COPY, ~1 min)
   unless ``--reuse`` finds the same dataset there, loaded at most ``--max-age`` minutes
   ago (the windows are relative to now, so older data would leave the last hour empty).
2. In process (``dashboard_queries.py``): queries per request counted with
   ``CaptureQueriesContext`` and Django's test client, each query timed.
3. Two uvicorn servers (one worker each, ``DEBUG`` off) serve the two databases; for each
   window, ``--warmup`` unmeasured requests each, then ``--requests`` sequential requests
   each as the staff user (DRF token), alternating FULL and EMPTY (and which goes first),
   so that drift on a shared machine hits both sides alike.
4. ``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest queries of the full database.

By default the code served is a clean export of ``--ref`` (HEAD): the working tree may be
mid-edit. ``--ref worktree`` serves the working tree.

    .venv/bin/python bench/dashboard_latency.py [--reuse] [--requests 50] [--windows 1h,24h]
"""

import argparse
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dashboard_data as data
import psutil
import psycopg
from bench_common import (
    HOST,
    Server,
    describe_code,
    django_env,
    export_ref,
    machine,
    manage,
    percentile,
    wait_for_quiet,
)

URL = "/api/v1/debugging/dashboard-data/"
DEFAULT_FULL = "postgres://postgres@127.0.0.1:5432/flowscope_bench"
DEFAULT_EMPTY = "postgres://postgres@127.0.0.1:5432/flowscope_bench_empty"


# --- the databases --------------------------------------------------------------------------


def prepare_full(root, args, log_dir):
    """Reuse the loaded dataset when it is the one asked for and fresh; else load it."""
    data.ensure_database(args.database_url)
    manage(root, django_env(root, DATABASE_URL=args.database_url, FLOWSCOPE_VAR_DIR=log_dir),
           "migrate", "--noinput", "-v", "0")  # fmt: skip
    wanted = {
        "workflows": args.workflows,
        "steps": args.steps,
        "days": args.days,
        "seed": args.seed,
    }
    with psycopg.connect(args.database_url) as conn:
        info = data.dataset_info(conn)
        counts = data.row_counts(conn)
    reason = reuse_refusal(info, counts, wanted, args.max_age)
    if args.reuse and reason is None:
        print(f"reusing the dataset loaded {age_minutes(info):.1f} min ago: {counts}", flush=True)
        info["rows"] = counts
        info["reused"] = True
        return info
    if args.reuse:
        print(f"not reusing the database: {reason}", flush=True)
    print("loading the dataset (COPY) ...", flush=True)
    info = data.load(args.database_url, args.workflows, args.steps, args.days, args.seed)
    info["reused"] = False
    return info


def reuse_refusal(info, counts, wanted, max_age):
    if info is None:
        return "it was never loaded by this bench"
    if any(info.get(key) != value for key, value in wanted.items()):
        return f"it holds another dataset ({info})"
    if counts["flowscope_workflowsession"] != wanted["workflows"] or (
        counts["flowscope_tracestep"] != wanted["steps"]
    ):
        return f"its rows changed since the load ({counts})"
    if age_minutes(info) > max_age:
        return f"its data ends {age_minutes(info):.0f} min ago (> --max-age {max_age})"
    return None


def age_minutes(info):
    return (time.time() - info["end"]) / 60


def prepare_empty(root, url, log_dir):
    """Same schema, same staff user and token, no flowscope rows."""
    data.ensure_database(url)
    manage(root, django_env(root, DATABASE_URL=url, FLOWSCOPE_VAR_DIR=log_dir),
           "migrate", "--noinput", "-v", "0")  # fmt: skip
    with psycopg.connect(url) as conn:
        conn.execute(f"TRUNCATE {', '.join(data.TABLES)} RESTART IDENTITY CASCADE")
        data.ensure_users(conn)
    with psycopg.connect(url, autocommit=True) as conn:
        for table in data.TABLES:
            conn.execute(f"VACUUM (ANALYZE) {table}")


# --- in process: queries ----------------------------------------------------------------------


def probe_queries(root, url, args, log_dir):
    command = [
        sys.executable, str(root / "bench" / "dashboard_queries.py"), "--database-url", url,
        "--windows", args.windows, "--repeat", str(args.probe_repeat),
    ]  # fmt: skip
    if args.profile:
        command.append("--profile")
    env = django_env(root, FLOWSCOPE_VAR_DIR=log_dir)
    done = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode:
        sys.exit(f"dashboard_queries.py failed:\n{done.stderr[-3000:]}")
    return {w["window"]: w for w in json.loads(done.stdout)["windows"]}


# --- over HTTP --------------------------------------------------------------------------------


def fetch(server, path):
    """One request on a new connection (a dashboard refreshing every few seconds opens one);
    ``(status, ms, body)``."""
    conn = http.client.HTTPConnection(HOST, server.port, timeout=120)
    headers = {"Authorization": f"Token {data.STAFF_TOKEN}", "Accept": "application/json"}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return response.status, elapsed, body


def check_answer(server, window, full):
    status, _, body = fetch(server, f"{URL}?window={window}")
    if status != 200:
        server.fail(f"{URL}?window={window} answered {status}: {body[:300]!r}")
    api_steps = json.loads(body)["system_health"]["layers"]["api"]["count"]
    if (api_steps > 0) != full:
        server.fail(f"window {window}: {api_steps} API steps, expected {'some' if full else 0}")


def run_window(window, servers, args):
    """Warm-up, then alternating sequential requests; latencies and server CPU per side."""
    path = f"{URL}?window={window}"
    others, waited = wait_for_quiet(args.quiet_wait, args.quiet_threshold)
    print(f"{window}: machine busy {others:.2f} cores before (waited {waited:.0f} s)", flush=True)
    for _ in range(args.warmup):
        for server in servers:
            fetch(server, path)
    samples = {server.name: [] for server in servers}
    cpu = {server.name: server.cpu_seconds() for server in servers}
    machine_before, clock = psutil.cpu_times(), time.monotonic()
    for number in range(args.requests):
        for server in servers if number % 2 == 0 else servers[::-1]:
            status, elapsed, body = fetch(server, path)
            if status != 200:
                server.fail(f"{path} answered {status}: {body[:300]!r}")
            samples[server.name].append(elapsed)
    # CPU time comes in clock ticks (10 ms): only the total over the run means something.
    for server in servers:
        cpu[server.name] = (server.cpu_seconds() - cpu[server.name]) * 1000 / args.requests
    result = {name: summarize(values, cpu[name]) for name, values in samples.items()}
    result["machine_busy_cores"] = machine_busy(machine_before, time.monotonic() - clock)
    result["busy_before"] = others
    return result


def machine_busy(before, seconds):
    """Cores the whole machine kept busy (our servers and PostgreSQL included)."""
    after = psutil.cpu_times()
    idle = (after.idle - before.idle) + (after.iowait - before.iowait)
    return max(0.0, (sum(after) - sum(before) - idle) / seconds)


def summarize(values, cpu_ms):
    ms = sorted(values)
    return {
        "requests": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": percentile(ms, 0.95),
        "max_ms": ms[-1],
        "min_ms": ms[0],
        "mean_ms": statistics.fmean(ms),
        "server_cpu_ms": cpu_ms,
        "latencies_ms": [round(v, 2) for v in values],
    }


# --- explaining -------------------------------------------------------------------------------


def explain(url, sql):
    with psycopg.connect(url) as conn:
        plan = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}").fetchone()[0][0]
        text = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").fetchall()
    return plan, "\n".join(row[0] for row in text)


def costly_nodes(plan, top=3):
    """Plan nodes by their own time (inclusive time minus their children's)."""
    nodes = []

    def walk(node):
        inclusive = node.get("Actual Total Time", 0) * node.get("Actual Loops", 1)
        children = node.get("Plans", [])
        own = inclusive - sum(
            c.get("Actual Total Time", 0) * c.get("Actual Loops", 1) for c in children
        )
        nodes.append((own, node))
        for child in children:
            walk(child)

    walk(plan["Plan"])
    nodes.sort(key=lambda item: -item[0])
    return [describe_node(own, node) for own, node in nodes[:top]]


def describe_node(own, node):
    what = node["Node Type"]
    for key in ("Index Name", "Relation Name"):
        if key in node:
            what += f" {node[key]}"
            break
    extra = ""
    if "Sort Method" in node:
        extra = f", {node['Sort Method']} {node.get('Sort Space Used', '?')} kB"
    loops = node.get("Actual Loops", 1)
    rows = node.get("Actual Rows", 0) * loops
    workers = f" (summed over {loops} parallel processes)" if node.get("Parallel Aware") else ""
    return f"{what} {own:.1f} ms own{workers}, {rows:.0f} rows{extra}"


def explain_slowest(url, probe, top):
    """The ``top`` slowest queries of each window, explained on the full database."""
    found = []
    for window, result in probe.items():
        ranked = sorted(result["queries"], key=lambda q: -q["median_ms"])[:top]
        for query in ranked:
            plan, text = explain(url, query["sql"])
            found.append(
                {
                    "window": window,
                    "index": query["index"],
                    "median_ms": query["median_ms"],
                    "sql": query["sql"],
                    "execution_ms": plan["Execution Time"],
                    "costly_nodes": costly_nodes(plan),
                    "plan": text,
                }
            )
    return found


# --- reporting --------------------------------------------------------------------------------


def report(results, probe_full, probe_empty, target):
    print(
        "\n| window | database | median ms | p95 ms | max ms | server CPU ms/request "
        "| SQL queries | SQL ms in process (median) |\n| --- | --- | --- | --- | --- | --- "
        "| --- | --- |"
    )
    for window, sides in results.items():
        for name, probe in (("FULL", probe_full), ("EMPTY", probe_empty)):
            side = sides[name]
            counts = "/".join(str(c) for c in probe[window]["query_counts"])
            print(
                f"| {window} | {name} | {side['median_ms']:.1f} | {side['p95_ms']:.1f} "
                f"| {side['max_ms']:.1f} | {side['server_cpu_ms']:.1f} | {counts} "
                f"| {probe[window]['median_sql_ms']:.1f} |"
            )
    for window, sides in results.items():
        median = sides["FULL"]["median_ms"]
        verdict = "MET" if median < target else "MISSED"
        print(
            f"{window}: FULL median {median:.1f} ms, target < {target:g} ms: {verdict} "
            f"(machine busy {sides['machine_busy_cores']:.2f} cores while measuring, "
            f"{sides['busy_before']:.2f} before)"
        )


def report_explained(explained):
    print("\nslowest queries on the full database (in-process median; EXPLAIN ANALYZE):")
    for item in explained:
        sql = item["sql"].replace("\n", " ")
        print(
            f"- {item['window']} #{item['index']}: {item['median_ms']:.1f} ms in the request, "
            f"{item['execution_ms']:.1f} ms executed: {sql[:160]}..."
        )
        for node in item["costly_nodes"]:
            print(f"    {node}")


# --- the run ----------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_FULL, help="the full database")
    parser.add_argument("--empty-database-url", default=DEFAULT_EMPTY, help="the baseline")
    parser.add_argument("--reuse", action="store_true", help="keep a fresh identical dataset")
    parser.add_argument("--max-age", type=float, default=15.0, help="minutes, for --reuse")
    parser.add_argument("--workflows", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--windows", default="15m,1h,6h,24h,7d")
    parser.add_argument("--requests", type=int, default=50, help="measured, per side and window")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured, per side and window")
    parser.add_argument("--probe-repeat", type=int, default=5, help="in-process repeats")
    parser.add_argument("--explain", type=int, default=4, help="slowest queries explained")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process run")
    parser.add_argument("--target", type=float, default=150.0, help="median ms to meet")
    parser.add_argument(
        "--quiet-wait", type=float, default=180.0, help="s to wait for an idle machine"
    )
    parser.add_argument("--quiet-threshold", type=float, default=0.3, help="busy cores")
    parser.add_argument("--ref", default="HEAD", help="commit to serve, or 'worktree'")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, plans)")
    return parser.parse_args()


def measure(args, workdir):
    root, commit = export_ref(args.ref, workdir)
    print(f"machine: {machine(args.database_url)}\ncode: {describe_code(root, commit)}")
    info = prepare_full(root, args, workdir)
    prepare_empty(root, args.empty_database_url, workdir)
    print(f"dataset: {info['rows']}; data ends {age_minutes(info):.1f} min before now")
    probe_full = probe_queries(root, args.database_url, args, workdir)
    probe_empty = probe_queries(root, args.empty_database_url, args, workdir)
    for window, result in probe_full.items():
        print(f"in process, {window}, FULL: {json.dumps(result['summary'])}")
        if args.profile:
            print(result["profile"])
    servers = [
        Server(name, root, django_env(root, DATABASE_URL=url, FLOWSCOPE_VAR_DIR=workdir), workdir)
        for name, url in (("FULL", args.database_url), ("EMPTY", args.empty_database_url))
    ]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_until_up()
        windows = args.windows.split(",")
        for window in windows:
            check_answer(servers[0], window, full=True)
            check_answer(servers[1], window, full=False)
        print(
            f"\nGET {URL}?window=..., {args.warmup} warm-up + {args.requests} measured "
            "sequential requests per side and window, FULL and EMPTY alternating",
            flush=True,
        )
        results = {window: run_window(window, servers, args) for window in windows}
    finally:
        for server in servers:
            server.stop()
    report(results, probe_full, probe_empty, args.target)
    explained = explain_slowest(args.database_url, probe_full, args.explain)
    report_explained(explained)
    return {
        "dataset": info,
        "http": results,
        "in_process": {"FULL": probe_full, "EMPTY": probe_empty},
        "explained": explained,
    }


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="flowscope-dashboard-bench-"))
    try:
        result = measure(args, workdir)
        if args.keep:
            (workdir / "plans.txt").write_text(
                "\n\n".join(
                    f"{e['window']} #{e['index']}\n{e['plan']}" for e in result["explained"]
                )
            )
            print(f"kept {workdir}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args), **result}, default=str))


if __name__ == "__main__":
    main()
