"""Where the ingest server's CPU goes, thread by thread: uvicorn run in this process, each
thread profiled by cProfile on its own CPU clock, under ``ingest_loadgen.py`` (another
process). Profiling slows everything: compare profiles with each other, not with the
throughput figures of ``ingest_throughput.py``.

    .venv/bin/python bench/ingest_profile.py --kind otlp [--postgres-url URL] [--duration 10]
"""

import argparse
import json
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import profile_capture
import profile_server
from bench_common import (
    BENCH_DIR,
    HOST,
    describe_code,
    django_in_process,
    export_ref,
    free_port,
    migrate,
)
from dashboard_data import ensure_database
from ingest_throughput import DEFAULT_BATCH, FLOWSCOPE_TABLES, INGEST_KEY, Store


def drive(port, args, uvicorn_server, results):
    while not uvicorn_server.started:
        time.sleep(0.05)
    items, workflows = DEFAULT_BATCH[args.kind]
    items, workflows = args.batch or items, args.workflows or workflows
    command = [
        sys.executable, str(BENCH_DIR / "ingest_loadgen.py"), "--port", str(port),
        "--key", INGEST_KEY, "--kind", args.kind, "--batch", str(items),
        "--workflows", str(workflows), "--concurrency", str(args.concurrency),
        "--warmup", "1", "--duration", str(args.duration),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout))
        from flowscope.recording.recorder import get_recorder

        get_recorder().flush(120)
    finally:
        uvicorn_server.should_exit = True


def serve_profiled(args):
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        "ecommerce_project.asgi:application", host=HOST, port=port, log_level="warning",
        access_log=False, lifespan="off",
    )  # fmt: skip
    return profile_server.run_profiled(config, drive, port, args)


def report(load, args):
    profiles = profile_server.PROFILES
    stats_by_thread = [(name, pstats.Stats(profiler)) for name, profiler in profiles]
    print(f"{args.kind}: {load['accepted_per_s']} accepted/s, {load['batches_per_s']} batches/s")
    profile_server.report_threads(stats_by_thread, load["total_batches"])
    if args.dump:
        profile_server.dump(stats_by_thread, args.dump)
    merged = pstats.Stats(*(profiler for _, profiler in profiles))
    top = profile_capture.print_top
    top("all threads", merged, "tottime", args.top)
    top("all threads", merged, "cumulative", args.top)
    recorder = [stats for name, stats in stats_by_thread if name == "flowscope-recorder"]
    if recorder:
        recorder[0].add(*recorder[1:])
        top("recorder thread", recorder[0], "cumulative", args.top)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=["browser", "otlp"], default="otlp")
    parser.add_argument("--postgres-url", help="default: SQLite in a temp folder")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, help="events (default 50) or spans (100)")
    parser.add_argument("--workflows", type=int, help="workflows per batch (5; traces: 10)")
    parser.add_argument("--top", type=int, default=30, help="rows per profile")
    parser.add_argument("--ref", default="worktree", help="commit to profile")
    parser.add_argument("--dump", type=Path, help="write per-thread-group .prof files here")
    return parser.parse_args()


def main():
    args = parse_args()
    args.configs, args.debug, args.flowscope = None, False, None
    workdir = Path(tempfile.mkdtemp(prefix="flowscope-ingest-profile-"))
    try:
        root, commit = export_ref(args.ref, workdir)
        print(f"code: {describe_code(root, commit)}")
        store = Store("postgres" if args.postgres_url else "sqlite", args, workdir)
        if args.postgres_url:
            ensure_database(args.postgres_url)
        env = store.env(root, debug=False)
        migrate(root, env)
        django_in_process(root, env)
        if args.postgres_url:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(FLOWSCOPE_TABLES)} RESTART IDENTITY CASCADE")
            connection.close()
        profile_capture.ROOT[0] = str(root)
        report(serve_profiled(args), args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
