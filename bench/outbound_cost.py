"""What capturing an outbound HTTP call costs the call: flowscope against OpenTelemetry.

In one process, a ``requests`` session and an ``httpx`` client call a canned endpoint (a
requests transport adapter and ``httpx.MockTransport`` that answer at once, no socket), so
that the time measured is the library's own and the instrumentation's, not a network's.
Variants, interleaved round by round:

- ``bare``: no instrumentation;
- ``flowscope, no trace``: the collectors installed, called outside any traced request;
- ``flowscope``: the collectors installed, inside a traced, sampled request (a fresh trace
  every 100 calls, as a request makes a few);
- ``flowscope, prepared``: the same, plus preparing each trace's steps (placeholders are
  made on the request path; scrubbing and ids of other steps wait for preparation, which
  runs in the recorder's thread of the same process with the "thread" transport);
- ``otel``: OpenTelemetry's requests or httpx instrumentation inside a recording span, with
  a batch span processor and an exporter that discards what it is given.

For each: microseconds of this thread's CPU per call (best round), and the same minus
``bare``: what instrumentation adds to the call.

    .venv/bin/python bench/outbound_cost.py [--calls 3000] [--rounds 7]

Needs the ``bench`` extra (OpenTelemetry's requests and httpx instrumentation).
"""

import argparse
import time

import django
from django.conf import settings

settings.configure(FLOWSCOPE={"RAISE_INTERNAL_ERRORS": True})
django.setup()

import httpx  # noqa: E402
import requests  # noqa: E402
from opentelemetry import trace as otel_trace  # noqa: E402
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: E402
from opentelemetry.instrumentation.requests import RequestsInstrumentor  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import (  # noqa: E402
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

from flowscope.capture import context  # noqa: E402
from flowscope.capture.outbound.httpx import HttpxCollector  # noqa: E402
from flowscope.capture.outbound.requests import RequestsCollector  # noqa: E402
from flowscope.capture.outbound.urllib3 import Urllib3Collector  # noqa: E402
from flowscope.records.preparation import _prepare_steps  # noqa: E402
from flowscope.records.trace import Span, Trace  # noqa: E402

URL = "http://payments.example/v1/charges/12345?currency=eur"
CALLS_PER_TRACE = 100


class CannedAdapter(requests.adapters.BaseAdapter):
    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response._content = b"{}"
        return response

    def close(self):
        pass


class DiscardingExporter(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS


def requests_client(otel):
    if otel:
        RequestsInstrumentor().instrument(tracer_provider=provider)
    session = requests.Session()
    session.mount("http://", CannedAdapter())
    return session.get


def httpx_client(otel):
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    if otel:  # its transport is the mock's, which instrument() would not reach
        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=provider)
    return client.get


FLOWSCOPE = [RequestsCollector(), HttpxCollector(), Urllib3Collector()]
provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(DiscardingExporter()))
tracer = otel_trace.get_tracer("bench", tracer_provider=provider)


def calls_in_traces(get, calls, prepare=False):
    """``calls`` calls, a new flowscope trace every CALLS_PER_TRACE."""
    for start in range(0, calls, CALLS_PER_TRACE):
        trace = Trace(
            correlation_id=f"{start:032x}", trace_id=f"{start:032x}", root=Span("api", "GET /")
        )
        tokens = context.activate(trace)
        try:
            for _ in range(min(CALLS_PER_TRACE, calls - start)):
                get(URL)
        finally:
            context.deactivate(tokens)
        if prepare:
            _prepare_steps(trace)


def prepared_calls_in_traces(get, calls):
    calls_in_traces(get, calls, prepare=True)


def calls_in_otel_span(get, calls):
    with tracer.start_as_current_span("GET /"):
        for _ in range(calls):
            get(URL)


def plain_calls(get, calls):
    for _ in range(calls):
        get(URL)


LOOPS = {
    "flowscope": calls_in_traces,
    "flowscope, prepared": prepared_calls_in_traces,
    "otel": calls_in_otel_span,
}


def run(variant, make_client, calls):
    """CPU microseconds per call of ``variant``."""
    if variant.startswith("flowscope"):
        for collector in FLOWSCOPE:
            collector.install()
    try:
        get = make_client(otel=variant == "otel")
        loop = LOOPS.get(variant, plain_calls)
        started = time.thread_time()
        loop(get, calls)
        return (time.thread_time() - started) / calls * 1e6
    finally:
        for collector in FLOWSCOPE:
            collector.uninstall()
        if variant == "otel" and make_client is requests_client:
            RequestsInstrumentor().uninstrument()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    variants = ["bare", "flowscope, no trace", "flowscope", "flowscope, prepared", "otel"]
    for name, make_client in (("requests", requests_client), ("httpx", httpx_client)):
        best = {variant: float("inf") for variant in variants}
        for round_number in range(args.rounds):
            order = (
                variants[round_number % len(variants) :] + variants[: round_number % len(variants)]
            )
            for variant in order:
                best[variant] = min(best[variant], run(variant, make_client, args.calls))
        print(f"\n{name}: CPU µs per call (best of {args.rounds} rounds of {args.calls})")
        print(f"{'variant':<22}{'per call':>10}{'added':>10}")
        for variant in variants:
            added = best[variant] - best["bare"]
            print(f"{variant:<22}{best[variant]:>10.1f}{added:>10.1f}")
    provider.shutdown()


if __name__ == "__main__":
    main()
