"""The writer's cost per database: batches of prepared traces written by
``recording.writer.write`` into the store named by ``--database-url``, in this process, one
transaction a batch, as the recorder's thread writes them. Prints JSON: wall and CPU time
per batch and per step (medians over the batches).

    .venv/bin/python bench/writer_databases.py --database-url mysql://root@127.0.0.1:3306/fs_bench
    .venv/bin/python bench/writer_databases.py --database-url postgres://postgres@127.0.0.1:5432/fs_bench

Each trace is a request of a new workflow with ``--steps`` database and cache steps, a tenth
of them with an error: what a host that sends no correlation ID makes. The database must
exist; it is migrated, and flowscope's tables are emptied before the run.
"""

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_common import django_env, django_in_process

REPO_DIR = Path(__file__).resolve().parent.parent


def make_batch(number, size, steps):
    from flowscope.records.trace import CapturedError, Span, Trace

    at = datetime.now(UTC)
    batch = []
    for index in range(size):
        root = Span("api", "GET /api/v1/products/<int:pk>/", started_at=at, duration_ms=12.5)
        root.metadata = {"status_code": 200, "query_count": steps // 2, "response_size": 2048}
        trace = Trace(correlation_id=f"bench-{number}-{index}", trace_id="0" * 32, root=root)
        for step in range(steps):
            layer = "database" if step % 2 else "cache"
            name = 'SELECT "shop_product"."id" FROM "shop_product" WHERE "id" = ?'
            span = Span(
                layer,
                name if layer == "database" else "cache.get",
                parent_span_id=root.span_id,
                started_at=at + timedelta(microseconds=step * 250),
                duration_ms=0.4,
                metadata={"sql": name} if layer == "database" else {"key": "p:1", "hit": True},
            )
            trace.spans.append(span)
        if index % 10 == 0:
            trace.errors.append(
                CapturedError(
                    kind="exception",
                    layer="api",
                    error_type="KeyError",
                    message="'estimate'",
                    span_id=root.span_id,
                    created_at=at,
                    stack_trace=[{"file": "shop/views.py", "line": 10, "function": "estimate"}],
                )
            )
        batch.append(trace)
    return batch


def run(batches, size, steps):
    from django.core.management import call_command
    from django.db import connection

    from flowscope.models import DeliveryReceipt, ErrorLog, TraceStep, WorkflowSession
    from flowscope.recording import writer

    call_command("migrate", verbosity=0)
    for model in (ErrorLog, TraceStep, WorkflowSession, DeliveryReceipt):
        model.objects.all().delete()
    walls, cpus = [], []
    for number in range(batches):
        batch = make_batch(number, size, steps)
        wall, cpu = time.perf_counter(), time.process_time()
        writer.write(batch)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    rows = size * (steps + 1)
    return {
        "vendor": connection.vendor,
        "server": connection.get_database_version() if connection.vendor != "sqlite" else None,
        "batches": batches,
        "traces_per_batch": size,
        "steps_per_batch": rows,
        "median_batch_ms": round(statistics.median(walls) * 1000, 1),
        "median_batch_cpu_ms": round(statistics.median(cpus) * 1000, 1),
        "steps_per_second": round(rows / statistics.median(walls)),
        "stored_steps": TraceStep.objects.count(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--size", type=int, default=100, help="traces a batch")
    parser.add_argument("--steps", type=int, default=10, help="steps a trace, besides its own")
    args = parser.parse_args()
    django_in_process(REPO_DIR, django_env(REPO_DIR, DATABASE_URL=args.database_url))
    print(json.dumps(run(args.batches, args.size, args.steps), default=str))


if __name__ == "__main__":
    main()
