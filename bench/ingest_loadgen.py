"""A closed-loop load generator for flowscope's ingest endpoints, run as its own process.

``--kind browser`` POSTs batches of browser events (``docs/ingest.md``) to
``/api/v1/debugging/ingest/``; ``--kind otlp`` POSTs OTLP/HTTP protobuf
``ExportTraceServiceRequest``s to ``/api/v1/debugging/otlp/v1/traces``. Each of
``--concurrency`` clients keeps one keep-alive connection to 127.0.0.1. Each body is built
just before it is sent, with fresh timestamps and workflows of its own (0.2-0.7 ms of this
process's CPU), so that a long run does not send stale spans, which the rollups would
count as late. Prints one JSON object: batches and events accepted in the measured window,
per status, latency percentiles, and the window's wall-clock bounds (``time.time()``) so
the caller can line them up with the rows it counts in the database.

    python bench/ingest_loadgen.py --port 8000 --key KEY --kind browser --duration 10
"""

import argparse
import asyncio
import json
import random
import time

from bench_common import HOST, measured_window, percentile, read_answer, run_event_loop

PATHS = {"browser": "/api/v1/debugging/ingest/", "otlp": "/api/v1/debugging/otlp/v1/traces"}
ROUTES = [
    ("GET", "/api/v1/products/?search=Lamp", 200),
    ("GET", "/api/v1/products/{id}/", 200),
    ("GET", "/api/v1/products/{id}/related/", 200),
    ("POST", "/api/v1/cart/items/", 201),
    ("GET", "/api/v1/cart/", 200),
    ("POST", "/api/v1/orders/checkout/", 201),
    ("POST", "/api/v1/auth/login/", 200),
]
SQL = [
    'SELECT "shop_product"."id", "shop_product"."name" FROM "shop_product" WHERE '
    '"shop_product"."id" = $1 LIMIT 21',
    'SELECT "shop_cart"."id" FROM "shop_cart" WHERE "shop_cart"."user_id" = $1 LIMIT 21',
    'INSERT INTO "shop_cartitem" ("cart_id", "product_id", "quantity") VALUES ($1, $2, $3)',
    'UPDATE "shop_product" SET "stock" = ("shop_product"."stock" - $1) WHERE "id" = $2',
]


def hex_id(rng, digits):
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


# --- bodies ------------------------------------------------------------------------------


def browser_workflow(rng, events, now_ms):
    """One page's events: a vital, fetch steps (the last may complete it), maybe an error."""
    cid = hex_id(rng, 32)
    kind = rng.choice(("checkout", "product_fetch", "cart_update", "login"))
    at = now_ms - rng.uniform(3000, 8000)  # the SDK sends every few seconds
    batch = [
        {"type": "vital", "correlation_id": cid, "workflow_type": kind, "name": "LCP",
         "value": round(rng.lognormvariate(7.2, 0.4), 1), "started_at": at, "metadata": {}},
    ]  # fmt: skip
    with_error = rng.random() < 0.2
    fetches = events - 1 - with_error
    for number in range(fetches):
        method, path, status = rng.choice(ROUTES)
        at += rng.uniform(50, 400)
        batch.append(
            {
                "type": "step",
                "correlation_id": cid,
                "workflow_type": kind,
                "name": f"{method} {path.split('?')[0].format(id=rng.randint(1, 240))}",
                "started_at": at,
                "duration_ms": round(rng.lognormvariate(3.0, 0.8), 3),
                "status": "ok",
                "span_id": hex_id(rng, 16),
                "parent_span_id": "",
                "complete": number == fetches - 1 and rng.random() < 0.7,
                "metadata": {"kind": "fetch", "method": method, "url": path,
                             "status_code": status},
            }
        )  # fmt: skip
    if with_error:
        batch.append(
            {"type": "error", "correlation_id": cid, "workflow_type": kind,
             "error_type": "TypeError", "message": "Cannot read properties of undefined",
             "stack": "renderCart@https://shop.example.com/static/shop/cart.js:212:9\n"
                      "call@https://shop.example.com/static/shop/storefront.js:88:5",
             "severity": "error", "started_at": at + 5, "metadata": {"url": "/shop/"}}
        )  # fmt: skip
    return batch


def browser_body(rng, events, workflows, now_ms):
    per_workflow = events // workflows
    found = []
    for number in range(workflows):
        size = per_workflow if number < workflows - 1 else events - len(found)
        found += browser_workflow(rng, size, now_ms)
    return json.dumps({"events": found}).encode(), len(found)


def otlp_body(rng, spans, traces, now_ns):
    """``spans`` spans in ``traces`` traces: a server span, database, cache and outgoing
    HTTP spans under it, as an instrumented service exports them."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

    def attrs(**values):
        return [
            KeyValue(key=k.replace("__", "."), value=AnyValue(**{kind(v): v}))
            for k, v in values.items()
        ]

    def kind(value):
        return "int_value" if isinstance(value, int) else "string_value"

    export = ExportTraceServiceRequest()
    resource_spans = export.resource_spans.add()
    resource_spans.resource.attributes.extend(
        attrs(service__name="checkout-service", deployment__environment="bench")
    )
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "opentelemetry.instrumentation.django"
    per_trace = spans // traces
    for number in range(traces):
        size = per_trace if number < traces - 1 else spans - len(scope.spans)
        trace_id = rng.getrandbits(128).to_bytes(16, "big")
        start = now_ns - int(rng.uniform(1, 5) * 1e9)  # a BatchSpanProcessor's delay
        root_id = rng.getrandbits(64).to_bytes(8, "big")
        method, path, status = rng.choice(ROUTES)
        root = Span(
            trace_id=trace_id, span_id=root_id, name=f"{method} {path.split('?')[0]}",
            kind=Span.SPAN_KIND_SERVER, start_time_unix_nano=start,
            end_time_unix_nano=start + int(rng.uniform(5, 80) * 1e6),
            attributes=attrs(http__request__method=method, http__route=path.split("?")[0],
                             http__response__status_code=status),
        )  # fmt: skip
        if rng.random() < 0.05:
            root.status.code = Status.STATUS_CODE_ERROR
            event = root.events.add(name="exception", time_unix_nano=start + 1000)
            event.attributes.extend(
                attrs(exception__type="KeyError", exception__message="'XX'",
                      exception__stacktrace='File "/srv/shop/views/shipping.py", line 34, '
                                            "in get\nKeyError: 'XX'")
            )  # fmt: skip
        scope.spans.append(root)
        for child in range(size - 1):
            offset = start + int(child * 1.5e6)
            if child % 4 == 3:
                extra = attrs(db__system="redis", db__operation="GET")
                name, span_kind = "GET", Span.SPAN_KIND_CLIENT
            elif child == size - 2:
                extra = attrs(http__request__method="POST", url__full="https://pay.example/charge")
                name, span_kind = "POST", Span.SPAN_KIND_CLIENT
            else:
                statement = rng.choice(SQL)
                extra = attrs(db__system="postgresql", db__statement=statement)
                name, span_kind = statement.split(None, 1)[0], Span.SPAN_KIND_CLIENT
            scope.spans.append(
                Span(trace_id=trace_id, span_id=rng.getrandbits(64).to_bytes(8, "big"),
                     parent_span_id=root_id, name=name, kind=span_kind,
                     start_time_unix_nano=offset,
                     end_time_unix_nano=offset + int(rng.uniform(0.1, 3) * 1e6),
                     attributes=extra)
            )  # fmt: skip
    return export.SerializeToString(), len(scope.spans)


def build_request(args, rng):
    """One encoded request (head + body), now, and how many events or spans it carries."""
    if args.kind == "browser":
        body, items = browser_body(rng, args.batch, args.workflows, time.time() * 1000)
        content_type = "application/json"
    else:
        body, items = otlp_body(rng, args.batch, args.workflows, time.time_ns())
        content_type = "application/x-protobuf"
    head = (
        f"POST {PATHS[args.kind]} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nX-Flowscope-Key: {args.key}\r\n"
        "User-Agent: flowscope-bench\r\n\r\n"
    ).encode()
    return head + body, items


# --- sending -----------------------------------------------------------------------------


def accepted(kind, status, body, items):
    """Events or spans the server said it took."""
    if kind == "browser":
        return json.loads(body).get("accepted", 0) if status in (202, 400) and body else 0
    if status != 200:
        return 0
    if not body:
        return items
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    answer = ExportTraceServiceResponse()
    answer.ParseFromString(body)
    return items - answer.partial_success.rejected_spans


async def worker(args, rng, results, stop):
    reader, writer = await asyncio.open_connection(HOST, args.port)
    try:
        while not stop.is_set():
            request, items = build_request(args, rng)
            started = time.perf_counter()
            writer.write(request)
            status, _, body, keep_alive = await read_answer(reader)
            done = time.perf_counter()
            results.append((done, started, status, accepted(args.kind, status, body, items), items))
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, args.port)
    finally:
        writer.close()


def summarize(results, window, clock_offset):
    start, end = window
    measured = [r for r in results if start <= r[0] <= end]
    latencies = sorted((done - began) * 1000 for done, began, *_ in measured)
    statuses, total_statuses = {}, {}
    for _, _, status, _, _ in measured:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    for _, _, status, _, _ in results:
        total_statuses[str(status)] = total_statuses.get(str(status), 0) + 1
    duration = end - start
    return {
        "batches": len(measured),
        "items_sent": sum(r[4] for r in measured),
        "items_accepted": sum(r[3] for r in measured),
        "accepted_per_s": round(sum(r[3] for r in measured) / duration, 1),
        "batches_per_s": round(len(measured) / duration, 1),
        "statuses": statuses,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else None,
        "window_start": start + clock_offset,
        "window_end": end + clock_offset,
        "duration_s": round(duration, 3),
        "total_batches": len(results),
        "total_items_accepted": sum(r[3] for r in results),
        "total_items_sent": sum(r[4] for r in results),
        "total_statuses": total_statuses,
    }


async def run(args):
    rng = random.Random(args.seed)
    sending_started = time.time()
    results, stop = [], asyncio.Event()
    workers = [worker(args, rng, results, stop) for _ in range(args.concurrency)]
    window = await measured_window(workers, stop, args.warmup, args.duration, finish_within=120)
    clock_offset = time.time() - time.perf_counter()
    summary = summarize(results, window, clock_offset)
    summary["sending_started"] = sending_started
    return summary


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True, help="an ingest key of the server")
    parser.add_argument("--kind", choices=sorted(PATHS), default="browser")
    parser.add_argument("--batch", type=int, default=50, help="events or spans per request")
    parser.add_argument("--workflows", type=int, default=5, help="workflows per request")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not measured")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def main():
    print(json.dumps(run_event_loop(run(parse_args()))))


if __name__ == "__main__":
    main()
