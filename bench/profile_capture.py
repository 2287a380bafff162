"""Where flowscope's per-request cost goes: the product list profiled in one process.

``capture_overhead.py`` says how much slower the server is with the middleware; this says
why. It serves ``GET /api/v1/products/`` through Django's test client from a fresh SQLite
database (product cache off, as in the benchmark) and measures, without a server or a second
thread in the way:

- the request path with the middleware ON (traces collected in memory) and OFF;
- the recorder's writer thread's work: ``writer.write`` in batches and the rollups;

then prints cProfile's top functions of each.

    .venv/bin/python bench/profile_capture.py [--requests 2000] [--ref HEAD] [--no-debug]
"""

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import sysconfig
import tempfile
import time
from pathlib import Path

import capture_overhead as bench
from bench_common import describe_code, django_in_process, export_ref

OFF_MIDDLEWARE = "flowscope.capture.middleware.FlowscopeMiddleware"
FLOWSCOPE_CODE = r"src/flowscope/"  # pstats restriction: flowscope's own functions
ROOT = [""]  # the checkout being profiled, set once known


def set_up(root, workdir, debug):
    """Same environment as the benchmark's servers, then Django with a seeded database."""
    django_in_process(root, bench.side_env(root, workdir, bench.ON_SETTINGS, debug))
    ROOT[0] = str(root)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=io.StringIO())


def clients():
    """Two test clients whose handlers load their middleware once, ON and OFF."""
    from django.conf import settings
    from django.test import Client, override_settings

    on = Client()
    on.get(bench.PATH)
    off = Client()
    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != OFF_MIDDLEWARE]):
        response = off.get(bench.PATH)  # the handler builds its chain on the first request
    assert "X-Correlation-ID" not in response, "the OFF client still traces"
    return on, off


def serve(client, count, pages=10):
    """``count`` requests; returns the traces the middleware would have queued."""
    from flowscope.testing import capture_traces

    with capture_traces() as traces:
        for number in range(count):
            response = client.get(bench.PATH, {"page": number % pages + 1})
            assert response.status_code == 200
    return list(traces)


def time_request_path(on, off, count, repeats=5):
    """µs per request, ON and OFF, interleaved; the best of ``repeats`` (least disturbed)."""
    times = {"ON": [], "OFF": []}
    for _ in range(repeats):
        for name, client in (("ON", on), ("OFF", off)):
            started = time.perf_counter()
            serve(client, count)
            times[name].append((time.perf_counter() - started) / count * 1e6)
    return {name: (min(values), statistics.median(values)) for name, values in times.items()}


def write_all(traces, size):
    """What the recorder's thread does with them: rollups, then one write per batch."""
    from flowscope.recording import writer
    from flowscope.recording.rollups import RollupBuffer

    rollups = RollupBuffer("profile")
    for start in range(0, len(traces), size):
        batch = traces[start : start + size]
        for trace in batch:
            rollups.add(trace)
        writer.write(batch)


def time_writer(on, count, size):
    traces = serve(on, count)
    started = time.perf_counter()
    write_all(traces, size)
    return (time.perf_counter() - started) / count * 1e6


def profile(function, *args):
    profiler = cProfile.Profile()
    profiler.runcall(function, *args)
    return pstats.Stats(profiler)


def print_top(title, stats, sort, top, only=None):
    """pstats' table, with the long directory prefixes cut so that it reads."""
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats(sort).print_stats(*([only] if only else []), top)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    prefixes = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"], ROOT[0]}
    print(f"\n--- {title} (by {sort}) ---")
    for line in lines[start:]:
        for prefix in prefixes:
            line = line.replace(f"{prefix}/", "")
        if line.strip():
            print(line[:150])


def report(timings, writer_us, count, size):
    (on_best, on_median), (off_best, off_median) = timings["ON"], timings["OFF"]
    print(
        f"\nrequest path, µs per request (best / median of 5 x {count}): "
        f"ON {on_best:.0f} / {on_median:.0f}, OFF {off_best:.0f} / {off_median:.0f}; "
        f"middleware adds {on_best - off_best:.0f} µs ({on_best / off_best - 1:.0%})"
    )
    print(
        f"recorder thread (rollups + writer.write, {size} a batch), µs per request: {writer_us:.0f}"
    )
    total = on_best - off_best + writer_us
    print(
        f"flowscope's CPU per request: {total:.0f} µs = {total / off_best:.0%} of an untraced "
        f"request, i.e. ON/OFF of at best {off_best / (off_best + total):.3f} on one core"
    )


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per measurement")
    parser.add_argument("--top", type=int, default=25, help="rows per profile")
    parser.add_argument("--ref", help="profile this git commit instead of the working tree")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=200,
        help="writer batch (BATCH_SIZE; a server at 150 rps fills ~30 in FLUSH_INTERVAL)",
    )
    parser.add_argument("--debug", action=argparse.BooleanOptionalAction, default=True)
    return parser.parse_args()


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="flowscope-profile-"))
    try:
        root, commit = export_ref(args.ref or "worktree", workdir)
        print(f"code: {describe_code(root, commit)}; DEBUG={args.debug}")
        set_up(root, workdir, args.debug)
        on, off = clients()
        for client in (on, off):  # warm up
            serve(client, 200)
        timings = time_request_path(on, off, args.requests)
        writer_us = time_writer(on, args.requests, args.batch_size)
        report(timings, writer_us, args.requests, args.batch_size)
        path = profile(serve, on, args.requests)
        print_top("request path, flowscope only", path, "tottime", args.top, FLOWSCOPE_CODE)
        print_top("request path, flowscope only", path, "cumulative", args.top, FLOWSCOPE_CODE)
        traces = serve(on, args.requests)
        written = profile(write_all, traces, args.batch_size)
        print_top("recorder thread", written, "tottime", args.top)
        print_top("recorder thread", written, "cumulative", args.top)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
