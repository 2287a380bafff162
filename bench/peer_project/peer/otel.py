"""OpenTelemetry for the ``otel`` variant: Django and DB-API instrumentation, a
``BatchSpanProcessor`` and an exporter that discards spans after counting them.

The count is per request: a sync gunicorn worker runs one request at a time and a span is
queued when it ends, so each request's DB spans reach the exporter just before its root
(server) span. ``stop()`` writes ``{root span name: [requests, spans]}`` as JSON to
``PEER_SPAN_COUNTS``.
"""

import json
import os

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

_provider = None


class CountingExporter(SpanExporter):
    def __init__(self, path):
        self.path = path
        self.counts = {}
        self._since_root = 0

    def export(self, spans):
        for span in spans:
            self._since_root += 1
            if span.parent is None:
                entry = self.counts.setdefault(span.name, [0, 0])
                entry[0] += 1
                entry[1] += self._since_root
                self._since_root = 0
        return SpanExportResult.SUCCESS

    def shutdown(self):
        if self.path:
            with open(self.path, "w") as file:
                json.dump(self.counts, file)


def _instrument_database():
    # The settings' own rule: DATABASE_URL, SQLite when unset.
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        PsycopgInstrumentor().instrument()
    else:
        from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

        SQLite3Instrumentor().instrument()


def start():
    global _provider
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
    from opentelemetry.instrumentation.django import DjangoInstrumentor

    _provider = TracerProvider()
    _provider.add_span_processor(
        BatchSpanProcessor(CountingExporter(os.environ.get("PEER_SPAN_COUNTS")))
    )
    trace.set_tracer_provider(_provider)
    DjangoInstrumentor().instrument()
    _instrument_database()


def stop():
    if _provider is not None:
        _provider.shutdown()
