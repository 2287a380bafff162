"""A span's metadata is scrubbed exactly as ``scrub`` would scrub it whole, whichever
shortcuts the mapping takes for the attributes an export repeats."""

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan

from flowscope.ingest import otlp
from flowscope.records.scrubbing import scrub

ATTRIBUTES = [
    {"db.system": "postgresql", "db.statement": "SELECT 1 FROM t WHERE id = $1"},
    {"http.url": "https://shop.example/login?token=abc123&x=1", "password": "hunter2"},
    {"card": "4242 4242 4242 4242", "amount": 4242424242424242, "ok": True, "ratio": 0.5},
    {"4242424242424242": "a key that is a card", "tags": ["a", "password=x", {"k": "v"}]},
    {"nested": {"deeper": {"api_key": "s3cret"}}, "none": None},
]


def otlp_span(message=""):
    span = OtlpSpan(kind=OtlpSpan.SPAN_KIND_CLIENT)
    span.status.message = message
    return span


def whole(attrs, resource, message=""):
    return scrub(
        {
            "service": resource.get("service.name", ""),
            "kind": "client",
            "attributes": attrs,
            "status_message": message,
        }
    )


@pytest.mark.parametrize(
    "settings_update",
    [{}, {"SCRUB_KEYS": ["service"]}, {"MAX_BODY_DEPTH": 2}, {"MAX_BODY_DEPTH": 3}],
)
def test_span_metadata_is_scrubbed_as_a_whole_would_be(settings, settings_update):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, **settings_update}
    describe = otlp.Describer()
    resource = {"service.name": "checkout password=hunter2"}
    for _ in range(2):  # the second time from what the first one kept
        for attrs in ATTRIBUTES:
            assert describe(otlp_span(), attrs, resource) == whole(attrs, resource)
    message = "failed for card 4242 4242 4242 4242"
    assert describe(otlp_span(message), {}, {}) == whole({}, {}, message)


def test_span_names_are_scrubbed_once_an_export():
    describe = otlp.Describer()
    for _ in range(2):
        assert describe.name("GET /reset?token=abc123") == "GET /reset?token=[Filtered]"
        assert describe.name("charge 4242 4242 4242 4242") == "charge [Filtered card]"
        assert describe.name("") == "(unnamed)"
