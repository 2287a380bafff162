"""A small closed-loop HTTP/1.1 load generator, run as its own process.

It runs apart from the servers so that it never shares their GIL, keeps one keep-alive
connection per worker (fixed concurrency), and only ever talks to 127.0.0.1. It prints one
JSON object: requests answered in the measured window, its RPS and latency percentiles.

    python bench/loadgen.py --port 8000 --path /api/v1/products/ --duration 10
"""

import argparse
import asyncio
import itertools
import json
import time

from bench_common import HOST, measured_window, percentile, read_answer, run_event_loop


def build_requests(path, pages):
    """Pre-encoded requests, one per page: the client should cost as little as possible."""
    return [
        (
            f"GET {path}?page={page} HTTP/1.1\r\nHost: {HOST}\r\n"
            "Accept: application/json\r\nUser-Agent: flowscope-bench\r\n\r\n"
        ).encode()
        for page in range(1, pages + 1)
    ]


async def exchange(reader, writer, request):
    """Send one request, read its answer: (status, carries X-Correlation-ID, keep-alive)."""
    writer.write(request)
    status, head, _, keep_alive = await read_answer(reader)
    return status, b"\r\nx-correlation-id:" in head, keep_alive


async def worker(port, requests, pages, results, stop):
    """One connection, one request at a time, until told to stop."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while not stop.is_set():
            request = requests[next(pages)]
            started = time.perf_counter()
            status, traced, keep_alive = await exchange(reader, writer, request)
            results.append((time.perf_counter(), started, status, traced))
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
    finally:
        writer.close()


def summarize(results, window_start, window_end):
    """Only answers that arrived inside the measured window count."""
    measured = [r for r in results if window_start <= r[0] <= window_end]
    latencies = sorted((done - started) * 1000 for done, started, _, _ in measured)
    duration = window_end - window_start
    return {
        "requests": len(measured),
        "duration_s": round(duration, 3),
        "rps": round(len(measured) / duration, 1),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "non_200": sum(1 for r in measured if r[2] != 200),
        "with_correlation_id": sum(1 for r in measured if r[3]),
        "total_responses": len(results),
        "total_with_correlation_id": sum(1 for r in results if r[3]),
        "latencies_ms": [round(value, 3) for value in latencies],
    }


async def run(args):
    requests = build_requests(args.path, args.pages)
    pages = itertools.cycle(range(len(requests)))
    results, stop = [], asyncio.Event()
    workers = [worker(args.port, requests, pages, results, stop) for _ in range(args.concurrency)]
    window = await measured_window(workers, stop, args.warmup, args.duration)
    return summarize(results, *window)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/v1/products/")
    parser.add_argument("--pages", type=int, default=10, help="cycle ?page=1..N")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not measured")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    return parser.parse_args()


def main():
    print(json.dumps(run_event_loop(run(parse_args()))))


if __name__ == "__main__":
    main()
