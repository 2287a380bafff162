"""Where a live server's CPU goes, thread by thread: uvicorn run in this process, profiled.

``profile_capture.py`` profiles Django's test client; this profiles the server the benchmark
measures (uvicorn, the ASGI handler, Django's sync thread, flowscope's recorder thread) under
the same load from ``loadgen.py`` in another process. Every thread gets its own cProfile
timed by its own CPU clock (``time.thread_time``), so a thread is not charged for time it
spends waiting for the GIL or for SQLite. Profiling slows everything: compare ON with OFF.

    .venv/bin/python bench/profile_server.py --side on [--duration 10] [--ref HEAD]
"""

import argparse
import cProfile
import pstats
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import capture_overhead as bench
import profile_capture
from bench_common import HOST, describe_code, django_in_process, export_ref, migrate

PROFILES = []  # (thread name, profiler), one per thread that ran while profiling


def profile_this_thread(*_):
    """``threading.setprofile`` hook: the thread's first event starts its own profiler."""
    profiler = cProfile.Profile(time.thread_time)
    PROFILES.append((threading.current_thread().name, profiler))
    profiler.enable()


def drive(server, args, uvicorn_server, results):
    """From a side thread: wait for the server, load it, then ask it to stop."""
    while not uvicorn_server.started:
        time.sleep(0.05)
    try:
        results.append(bench.run_load(server, args))
    finally:
        uvicorn_server.should_exit = True


def serve_profiled(server, args):
    import uvicorn

    config = uvicorn.Config(
        "ecommerce_project.asgi:application",
        host=HOST,
        port=server.port,
        log_level="warning",
        access_log=False,
    )
    return run_profiled(config, drive, server, args)


def run_profiled(config, drive, target, args):
    """Serve ``config`` in this thread, every thread profiled, while another thread runs
    ``drive(target, args, uvicorn_server, results)`` against it; the load's result."""
    import uvicorn

    uvicorn_server, results = uvicorn.Server(config), []
    threading.Thread(target=drive, args=(target, args, uvicorn_server, results)).start()
    threading.setprofile(profile_this_thread)
    main = cProfile.Profile(time.thread_time)
    PROFILES.append(("MainThread (event loop)", main))
    main.enable()
    try:
        uvicorn_server.run()
    finally:
        main.disable()
        threading.setprofile(None)
    if not results:
        sys.exit("the load generator did not finish")
    return results[0]


def thread_group(name):
    """Django's ASGI handler runs each request's sync code in a new executor thread: group
    threads by name without their numbers."""
    return re.sub(r"\d+", "N", name)


def dump(stats_by_thread, folder):
    """One .prof file per thread group, for pstats or snakeviz to compare ON with OFF."""
    folder.mkdir(parents=True, exist_ok=True)
    groups = defaultdict(list)
    for name, stats in stats_by_thread:
        groups[thread_group(name)].append(stats)
    for name, stats in groups.items():
        stats[0].add(*stats[1:])
        stats[0].dump_stats(folder / f"{re.sub(r'[^A-Za-z0-9]+', '_', name).strip('_')}.prof")


def report_threads(stats_by_thread, requests):
    cpu = defaultdict(float)
    for name, stats in stats_by_thread:
        cpu[thread_group(name)] += stats.total_tt
    print(f"\nCPU per request by thread (ms, under the profiler; {requests} requests):")
    for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        print(f"  {seconds * 1000 / requests:7.3f}  {name}")
    print(f"  {sum(cpu.values()) * 1000 / requests:7.3f}  all")


def report(result, args):
    stats_by_thread = [(name, pstats.Stats(profiler)) for name, profiler in PROFILES]
    requests = result["total_responses"]
    print(
        f"{args.side}: {requests} requests at {result['rps']} rps under the profiler; "
        f"{result['total_with_correlation_id']} carried X-Correlation-ID"
    )
    report_threads(stats_by_thread, requests)
    if args.dump:
        dump([(n, pstats.Stats(p)) for n, p in PROFILES], args.dump)
    merged = pstats.Stats(*(profiler for _, profiler in PROFILES))
    top = profile_capture.print_top
    top("all threads, flowscope only", merged, "tottime", args.top, profile_capture.FLOWSCOPE_CODE)
    top(
        "all threads, flowscope only",
        merged,
        "cumulative",
        args.top,
        profile_capture.FLOWSCOPE_CODE,
    )
    top("all threads", merged, "tottime", args.top)
    recorder = [stats for name, stats in stats_by_thread if name == "flowscope-recorder"]
    if recorder:
        recorder[0].add(*recorder[1:])
        top("recorder thread", recorder[0], "cumulative", args.top)


def set_up(server, args):
    """As the benchmark's servers: the same environment and a freshly seeded database."""
    env = bench.side_env(server.root, server.var_dir, bench.ON_SETTINGS, args.debug)
    migrate(server.root, env, seed=True)
    django_in_process(server.root, server.env)
    profile_capture.ROOT[0] = str(server.root)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=["on", "off"], default="on")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--top", type=int, default=25, help="rows per profile")
    parser.add_argument("--ref", help="profile this git commit instead of the working tree")
    parser.add_argument("--dump", type=Path, help="write per-thread-group .prof files here")
    parser.add_argument("--debug", action=argparse.BooleanOptionalAction, default=True)
    return parser.parse_args()


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="flowscope-profile-"))
    try:
        root, commit = export_ref(args.ref or "worktree", workdir)
        settings = bench.ON_SETTINGS if args.side == "on" else bench.OFF_SETTINGS
        server = bench.Side(args.side.upper(), settings, root, workdir / "db", args.debug)
        print(f"code: {describe_code(root, commit)}; DEBUG={args.debug}")
        set_up(server, args)
        report(serve_profiled(server, args), args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
