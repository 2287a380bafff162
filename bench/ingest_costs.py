"""CPU per ingest request of each step, in one process (thread CPU time, best of rounds):
decoding and mapping a body to records, the rollups' ``observe`` and ``writer.write``.
Bodies are ``ingest_loadgen.py``'s (50 browser events of 5 workflows, 100 OTLP spans of 10
traces); the store is emptied before each round, so every workflow is new, as in
``ingest_throughput.py``. Unlike a server, nothing else competes for the interpreter.
It runs on code from before the batch decoder and the receipts too (per-event serializers,
no keys), to compare.

    .venv/bin/python bench/ingest_costs.py --postgres-url postgres://postgres@127.0.0.1:5432/flowscope_bench_ingest
"""

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import ingest_loadgen as loadgen
from bench_common import REPO_DIR, django_in_process, migrate
from dashboard_data import ensure_database
from ingest_throughput import FLOWSCOPE_TABLES, Store


def thread_ms(function, items, count):
    """``function`` over ``items``: ms of this thread's CPU per request, and the results."""
    started = time.thread_time()
    results = [function(item) for item in items]
    return (time.thread_time() - started) * 1000 / count, results


def bodies(kind, rng, count):
    if kind == "browser":
        return [loadgen.browser_body(rng, 50, 5, time.time() * 1000)[0] for _ in range(count)]
    return [loadgen.otlp_body(rng, 100, 10, time.time_ns())[0] for _ in range(count)]


def measure(kind, args, rng):
    from django.db import connection

    from flowscope.ingest import events, otlp
    from flowscope.recording import writer
    from flowscope.recording.jobs import Rollups

    try:
        from flowscope.ingest import batch, delivery
    except ImportError:  # older code: events one by one, no idempotency keys
        batch = delivery = None

    def to_records(body):
        if kind == "otlp":
            return otlp.to_records(otlp.decode(body, "protobuf"))[0]
        if batch is not None:
            return events.to_records(batch.decode(body))
        return events.to_records([events.validate(e)[0] for e in json.loads(body)["events"]])

    tables = ", ".join(FLOWSCOPE_TABLES)
    if delivery is not None:
        tables += ", flowscope_deliveryreceipt"

    best = {"records": 1e9, "observe": 1e9, "write": 1e9}
    for _ in range(args.rounds):
        sent = bodies(kind, rng, args.requests)
        ms, requests = thread_ms(to_records, sent, args.requests)
        best["records"] = min(best["records"], ms)
        for body, records in zip(sent, requests, strict=True):
            if delivery is not None:
                delivery.keyed(records, "bench", body)
        flat = [record for records in requests for record in records]
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables}")
        ms, _ = thread_ms(Rollups("bench").observe, [flat], args.requests)
        best["observe"] = min(best["observe"], ms)
        size = args.batch_size
        batches = [flat[start : start + size] for start in range(0, len(flat), size)]
        ms, _ = thread_ms(writer.write, batches, args.requests)
        best["write"] = min(best["write"], ms)
    unit = "50 events" if kind == "browser" else "100 spans"
    print(
        f"{kind} ({unit} a request): decode and map {best['records']:.2f} ms, "
        f"rollups observe {best['observe']:.2f} ms, writer.write {best['write']:.2f} ms "
        f"(best of {args.rounds} x {args.requests} requests)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", help="default: SQLite in a temp folder")
    parser.add_argument("--requests", type=int, default=40, help="requests a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=200, help="records a write")
    args = parser.parse_args()
    args.flowscope = None
    workdir = Path(tempfile.mkdtemp(prefix="flowscope-ingest-costs-"))
    try:
        store = Store("postgres" if args.postgres_url else "sqlite", args, workdir)
        if args.postgres_url:
            ensure_database(args.postgres_url)
        env = store.env(REPO_DIR, debug=False)
        migrate(REPO_DIR, env)
        django_in_process(REPO_DIR, env)
        rng = random.Random(1)
        for kind in ("browser", "otlp"):
            measure(kind, args, rng)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
