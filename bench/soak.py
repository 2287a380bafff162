"""A long soak: the example project served for minutes under steady load, its memory sampled.

One uvicorn process (one worker) serves the example project from a freshly seeded SQLite
database, with flowscope's in-process writer. Two loads run against it for the whole soak:
the closed-loop load generator (``bench/loadgen.py``) on the product list, and the shop's
simulated customers (``manage.py simulate_traffic``: login, cart, checkout, the declined
card, the buggy shipping estimate, browser events to ingest). Every few seconds the
server's resident memory, threads and open files are sampled, with the recorder's counters
(health, as staff) and one read of the dashboard's data, as the page would poll it
(``--no-dashboard`` leaves the reads out: their 15-minute window fills during a shorter
soak, and what they hold grows with it).

At the end, ``--reports`` performance reports over 31 days are asked for at once, as a
team opening the dashboard after an incident would: past ``REPORTS_MAX_CONCURRENT`` they
are answered 429 at once, and how long each answer took is printed.

Memory is "flat" when the median RSS of the last third of the samples (after the warm-up)
is within ``--tolerance`` of the first third's. The recorder's books are checked too:
nothing dropped, the queue not growing.

    .venv/bin/python bench/soak.py [--minutes 10] [--interval 5] [--warmup 60]
        [--concurrency 4] [--rate 2] [--reports 8] [--ref COMMIT] [--json FILE]

Results and the command that produced them: docs/benchmarks.md ("Long soak").
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from bench_common import (
    BENCH_DIR,
    Server,
    describe_code,
    django_env,
    export_ref,
    machine,
    migrate,
    recorder_counters,
    staff_token,
)

PATH = "/api/v1/products/"
DASHBOARD_DATA = "/api/v1/debugging/dashboard-data/?window=15m"
PERFORMANCE_REPORT = "/api/v1/debugging/reports/generate_performance_report/"
MIB = 2**20


def soak_env(root, var_dir):
    return django_env(
        root,
        FLOWSCOPE_VAR_DIR=var_dir,
        SHOP_PAYMENT_LATENCY_MS=20,
        SHOP_SLOW_ENDPOINT_DELAY_MS=200,
        SHOP_PAYMENT_FAILURE_RATE=0.05,
    )


def start_loads(server, root, env, args, seconds):
    """The load generator and the simulated customers, each a process of its own."""
    loadgen_command = [
        sys.executable, str(BENCH_DIR / "loadgen.py"), "--port", str(server.port),
        "--path", PATH, "--concurrency", str(args.concurrency),
        "--warmup", "0", "--duration", str(seconds),
    ]  # fmt: skip
    customers_command = [
        sys.executable, "manage.py", "simulate_traffic", "--base-url", server.url(""),
        "--rate", str(args.rate), "--duration", str(seconds), "--seed", "1",
    ]  # fmt: skip
    loadgen = subprocess.Popen(
        loadgen_command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # The customers log a line a workflow: to a file, so that no pipe fills up meanwhile.
    log = open(server.log.with_name("customers.log"), "w")  # noqa: SIM115 (as long as they run)
    customers = subprocess.Popen(
        customers_command, cwd=root / "example", env=env, stdout=log, stderr=subprocess.STDOUT
    )
    return loadgen, customers


def dashboard_read_ms(server, token):
    request = urllib.request.Request(
        server.url(DASHBOARD_DATA), headers={"Authorization": f"Token {token}"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
    except (urllib.error.URLError, TimeoutError):
        return None
    return (time.perf_counter() - started) * 1000


def sample(server, token, started, read_dashboard=True):
    process = psutil.Process(server.process.pid)
    counters = recorder_counters(server, token)
    return {
        "t_s": round(time.monotonic() - started, 1),
        "rss_mib": round(process.memory_info().rss / MIB, 1),
        "threads": process.num_threads(),
        "open_files": process.num_fds(),
        "queued": counters["queued"],
        "written": counters.get("written"),
        "queue_depth": counters["queue_depth"],
        "dropped": counters["dropped"],
        "internal_errors": counters["internal_errors"],
        "dashboard_ms": dashboard_read_ms(server, token) if read_dashboard else None,
    }


def print_sample(row):
    dashboard = "-" if row["dashboard_ms"] is None else f"{row['dashboard_ms']:.0f}"
    print(
        f"| {row['t_s']:.0f} | {row['rss_mib']:.1f} | {row['threads']} | {row['open_files']} "
        f"| {row['queued']} | {row['written']} | {row['queue_depth']} | {row['dropped']} "
        f"| {row['internal_errors']} | {dashboard} |",
        flush=True,
    )


def one_report(server, token):
    """``(status, seconds)`` of one performance report over 31 days."""
    request = urllib.request.Request(
        server.url(PERFORMANCE_REPORT),
        data=json.dumps({"hours": 31 * 24}).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, round(time.perf_counter() - started, 2)


def burst_of_reports(server, token, count):
    with ThreadPoolExecutor(count) as pool:
        answers = sorted(pool.map(lambda _: one_report(server, token), range(count)))
    print(
        f"{count} performance reports over 31 days at once: "
        + ", ".join(f"{status} in {seconds} s" for status, seconds in answers),
        flush=True,
    )
    return answers


def thirds(rows, key):
    """Median of ``key`` over the first and the last third of ``rows``."""
    third = max(1, len(rows) // 3)
    return statistics.median(r[key] for r in rows[:third]), statistics.median(
        r[key] for r in rows[-third:]
    )


def verdict(samples, warmup_s, tolerance):
    measured = [row for row in samples if row["t_s"] >= warmup_s]
    if len(measured) < 3:
        sys.exit("too few samples after the warm-up: soak longer or sample more often")
    first, last = thirds(measured, "rss_mib")
    growth = (last - first) / first
    first_threads, last_threads = thirds(measured, "threads")
    first_depth, last_depth = thirds(measured, "queue_depth")
    return {
        "samples": len(measured),
        "rss_first_third_mib": first,
        "rss_last_third_mib": last,
        "rss_growth": round(growth, 4),
        "rss_max_mib": max(r["rss_mib"] for r in measured),
        "threads_first_last": (first_threads, last_threads),
        "queue_depth_first_last": (first_depth, last_depth),
        "dropped": samples[-1]["dropped"],
        "internal_errors": samples[-1]["internal_errors"],
        "memory_flat": growth <= tolerance,
    }


def finished(process, name):
    out, err = process.communicate(timeout=120)
    if process.returncode:
        sys.exit(f"{name} failed:\n{err[-3000:]}")
    return out


def customers_summary(customers, log):
    """The simulated customers' last line: how many workflows of each outcome."""
    customers.wait(120)
    lines = log.read_text().strip().splitlines()
    if customers.returncode:
        sys.exit("the simulated customers failed:\n" + "\n".join(lines[-30:]))
    return lines[-1] if lines else ""


def soak(server, root, env, token, args):
    seconds = args.minutes * 60
    print(
        "\n| t (s) | RSS MiB | threads | open files | queued | written | queue depth "
        "| dropped | internal errors | dashboard-data ms |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        flush=True,
    )
    loadgen, customers = start_loads(server, root, env, args, seconds)
    started = time.monotonic()
    samples = []
    while time.monotonic() - started < seconds:
        if server.process.poll() is not None:
            server.fail("the server exited during the soak")
        samples.append(sample(server, token, started, args.dashboard))
        print_sample(samples[-1])
        time.sleep(max(0.0, args.interval - (time.monotonic() - started) % args.interval))
    load = json.loads(finished(loadgen, "the load generator"))
    customers_said = customers_summary(customers, server.log.with_name("customers.log"))
    time.sleep(5)  # let the writer catch up before the last reading
    samples.append(sample(server, token, started, args.dashboard))
    print_sample(samples[-1])
    return samples, load, customers_said


def report(samples, load, customers_said, args):
    result = verdict(samples, args.warmup, args.tolerance)
    print(
        f"\nload generator: {load['requests']} requests, {load['rps']} /s, p50 "
        f"{load['p50_ms']} ms, p99 {load['p99_ms']} ms, not 200: {load['non_200']}"
        f"\nsimulated customers: {customers_said}"
        f"\nRSS (after {args.warmup:g} s warm-up, {result['samples']} samples): first third "
        f"{result['rss_first_third_mib']:.1f} MiB, last third {result['rss_last_third_mib']:.1f} "
        f"MiB ({result['rss_growth']:+.1%}), max {result['rss_max_mib']:.1f} MiB; threads "
        f"{result['threads_first_last'][0]} -> {result['threads_first_last'][1]}; queue depth "
        f"{result['queue_depth_first_last'][0]} -> {result['queue_depth_first_last'][1]}; "
        f"dropped {result['dropped']}; internal errors {result['internal_errors']}"
        f"\nmemory flat (growth <= {args.tolerance:.0%}): "
        f"{'YES' if result['memory_flat'] else 'NO'}"
    )
    load.pop("latencies_ms", None)
    return {"load": load, "customers": customers_said, **result}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds not judged")
    parser.add_argument("--concurrency", type=int, default=4, help="load-generator connections")
    parser.add_argument("--rate", type=float, default=2.0, help="simulated workflows a second")
    parser.add_argument("--reports", type=int, default=8, help="reports asked at once at the end")
    parser.add_argument("--tolerance", type=float, default=0.05, help="RSS growth still flat")
    parser.add_argument(
        "--dashboard",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read dashboard-data (15 min window) with every sample, as the page polls",
    )
    parser.add_argument("--ref", help="serve this git commit (exported clean)")
    parser.add_argument("--json", type=Path, help="also write the samples and the result here")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (log, database)")
    return parser.parse_args()


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="flowscope-soak-"))
    server = None
    try:
        root, commit = export_ref(args.ref or "worktree", workdir)
        var_dir = workdir / "var"
        env = soak_env(root, var_dir)
        print(f"machine: {machine()}\ncode: {describe_code(root, commit)}", flush=True)
        migrate(root, env, seed=True)
        token = staff_token(root, env)
        server = Server("soak", root, env, workdir).start()
        server.wait_until_up(PATH)
        print(
            f"GET {PATH} at concurrency {args.concurrency} + {args.rate:g} simulated workflows/s "
            f"for {args.minutes:g} min; a sample every {args.interval:g} s",
            flush=True,
        )
        samples, load, customers_said = soak(server, root, env, token, args)
        result = report(samples, load, customers_said, args)
        if args.reports:
            result["reports"] = burst_of_reports(server, token, args.reports)
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args), "samples": samples, **result}, default=str)
        )
    if not result["memory_flat"] or result["dropped"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
