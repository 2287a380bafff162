"""OTLP/HTTP trace export (https://opentelemetry.io/docs/specs/otlp/): decoding with the
official protobuf classes, and spans mapped to flowscope's layers by the semantic
conventions."""

import base64
import re
from datetime import UTC, datetime

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.protobuf.unknown_fields import UnknownFieldSet
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status as OtlpStatus
from rest_framework.exceptions import ParseError

from flowscope.api import parsers
from flowscope.conf import flowscope_settings
from flowscope.records import correlation
from flowscope.records.frames import is_library_path
from flowscope.records.scrubbing import is_sensitive_key, scrub, scrub_text
from flowscope.records.trace import CapturedError, ExternalSpans, Span

CONTENT_TYPES = {"application/x-protobuf": "protobuf", "application/json": "json"}
PROTOBUF, JSON = "application/x-protobuf", "application/json"
CORRELATION_ATTRIBUTES = ("flowscope.correlation_id", "correlation.id")
CACHE_SYSTEMS = {"redis", "memcached"}
PYTHON_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<fn>\S+)')
ID_FIELDS = ("traceId", "spanId", "parentSpanId")
RESOURCE_SPANS_KEYS = {"resourceSpans", "resource_spans"}  # protobuf's JSON takes both
NOT_AN_EXPORT = "Not an OTLP ExportTraceServiceRequest"
# HTTP answers as google.rpc codes: INVALID_ARGUMENT, UNAUTHENTICATED, RESOURCE_EXHAUSTED,
# UNAVAILABLE (which exporters retry).
RPC_CODES = {400: 3, 401: 16, 403: 7, 413: 3, 415: 3, 429: 8, 503: 14}
UNKNOWN = 2


def encoding_of(content_type):
    return CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower())


def decode(raw, encoding):
    """The ``ExportTraceServiceRequest`` of a body; ``ParseError`` (a 400 with a
    ``google.rpc.Status``, as OTLP/HTTP wants for a request that cannot be decoded) for
    anything else.

    An empty request (no body, ``{}``, ``{"resourceSpans": []}``) is valid and answered 200.
    Unknown fields are ignored beside ``resourceSpans``, as the specification asks; but a
    body holding nothing else (``{"spans": ...}``, another signal's export, bytes that
    happen to parse as unknown protobuf fields) is not a trace export at all.
    """
    export = ExportTraceServiceRequest()
    try:
        if encoding == "protobuf":
            export.ParseFromString(raw)
            foreign = len(UnknownFieldSet(export)) > 0
        else:
            payload = parsers.loads(raw)
            if not isinstance(payload, dict):
                raise ParseError(f"{NOT_AN_EXPORT}: the body is JSON, but not an object.")
            json_format.ParseDict(_ids_to_base64(payload), export, ignore_unknown_fields=True)
            foreign = bool(payload) and not payload.keys() & RESOURCE_SPANS_KEYS
    except (DecodeError, json_format.ParseError, ValueError, TypeError) as exc:
        raise ParseError(f"{NOT_AN_EXPORT}: {exc}") from None
    if foreign and not export.resource_spans:
        raise ParseError(f"{NOT_AN_EXPORT}: it has no resourceSpans, only fields it does not know.")
    return export


def _ids_to_base64(value):
    """OTLP/JSON writes trace and span IDs in hex, where protobuf's JSON mapping wants
    base64: convert them before parsing."""
    if isinstance(value, list):
        return [_ids_to_base64(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {}
    for key, item in value.items():
        if key in ID_FIELDS and isinstance(item, str):
            try:
                item = base64.b64encode(bytes.fromhex(item)).decode()
            except ValueError:
                raise ParseError(f"{key} {item!r} is not hex.") from None
        converted[key] = _ids_to_base64(item)
    return converted


def attributes(key_values):
    return {kv.key: any_value(kv.value) for kv in key_values}


def any_value(value):
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind) if kind else None


def to_records(export):
    """``(records, rejected_count, message)`` for an export request."""
    valid, problems = [], []
    for resource_spans in export.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for otlp_span in scope_spans.spans:
                problem = invalid(otlp_span)
                if problem:
                    problems.append(problem)
                else:
                    valid.append((otlp_span, attributes(otlp_span.attributes), resource))
    named = correlation_ids_by_trace(valid)
    records, describe = {}, Describer()
    for otlp_span, attrs, resource in valid:
        cid = named.get(otlp_span.trace_id) or otlp_span.trace_id.hex()
        _add(records, cid, otlp_span, attrs, resource, describe)
    message = "; ".join(sorted(set(problems)))[:500]
    return list(records.values()), len(problems), message


def correlation_ids_by_trace(spans):
    """A correlation attribute on any span of a trace (or its resource) names the workflow of
    every span of that trace in the export (usually only the entry span carries it)."""
    named = {}
    for otlp_span, attrs, resource in spans:
        if otlp_span.trace_id in named:  # the first name found stands
            continue
        for source in (attrs, resource):
            for name in CORRELATION_ATTRIBUTES:
                if name in source and correlation.CORRELATION_ID.fullmatch(str(source[name])):
                    named.setdefault(otlp_span.trace_id, str(source[name]))
    return named


def invalid(span):
    if len(span.trace_id) != 16 or not any(span.trace_id):
        return "invalid trace_id"
    if len(span.span_id) != 8 or not any(span.span_id):
        return "invalid span_id"
    if not span.start_time_unix_nano or span.end_time_unix_nano < span.start_time_unix_nano:
        return "invalid start or end time"
    return ""


def _add(records, cid, otlp_span, attrs, resource, describe):
    record = records.get(cid)
    if record is None:
        record = records[cid] = ExternalSpans(
            correlation_id=cid,
            spans=[],
            sampled=correlation.is_sampled(cid, flowscope_settings.SAMPLE_RATE),
            workflow_metadata={"entry_point": resource.get("service.name", "otlp")},
            # OpenTelemetry's name for the release of the service that sent the spans.
            release=scrub_text(str(resource.get("service.version", "")))[:64],
        )
    record.workflow_type = record.workflow_type or correlation.workflow_type_from_header(
        str(attrs.get("flowscope.workflow_type", ""))
    )
    span = to_span(otlp_span, attrs, resource, describe)
    record.spans.append(span)
    record.errors.extend(exception_errors(otlp_span, span))


def layer_of(otlp_span, attrs):
    system = attrs.get("db.system") or attrs.get("db.system.name")
    if system:
        return "cache" if str(system).lower() in CACHE_SYSTEMS else "database"
    if any(key.startswith("messaging.") for key in attrs):
        return "external"
    if otlp_span.kind == OtlpSpan.SPAN_KIND_SERVER:
        return "api"
    if otlp_span.kind == OtlpSpan.SPAN_KIND_CLIENT:
        return "external"
    return "custom"


def timestamp(unix_nano):
    return datetime.fromtimestamp(unix_nano / 1e9, UTC)


KINDS = {
    number: OtlpSpan.SpanKind.Name(number).removeprefix("SPAN_KIND_").lower()
    for number in OtlpSpan.SpanKind.values()
}


def to_span(otlp_span, attrs, resource, describe=None):
    failed = otlp_span.status.code == OtlpStatus.STATUS_CODE_ERROR
    describe = describe or Describer()
    described = describe(otlp_span, attrs, resource)
    return Span(
        layer=layer_of(otlp_span, attrs),
        name=describe.name(otlp_span.name),
        span_id=otlp_span.span_id.hex(),
        parent_span_id=otlp_span.parent_span_id.hex(),
        started_at=timestamp(otlp_span.start_time_unix_nano),
        duration_ms=(otlp_span.end_time_unix_nano - otlp_span.start_time_unix_nano) / 1e6,
        status="error" if failed else "ok",
        # The trace ID is hex of the span's bytes, not the sender's text: scrubbing it would
        # mask a run of digits in it that happens to pass the card check.
        metadata={**described, "otlp_trace_id": otlp_span.trace_id.hex()},
    )


class Describer:
    """A span's metadata, scrubbed: exactly ``scrub({"service", "kind", "attributes",
    "status_message"})``, at a fraction of the cost. The spans of one export repeat most
    of their attribute values (the service, ``db.system``, a route, a statement), so each
    distinct attribute is scrubbed once an export; the kind is one of a few fixed words."""

    NAMES = ("service", "kind", "attributes", "status_message")

    def __init__(self):
        self._attributes = {}
        self._services = {}
        self._names = {}
        # A SCRUB_KEYS entry naming one of NAMES, or a MAX_BODY_DEPTH below the attributes'
        # values: then the whole is scrubbed, as it would be.
        self._plain = flowscope_settings.MAX_BODY_DEPTH > 2 and not any(
            map(is_sensitive_key, self.NAMES)
        )

    def __call__(self, otlp_span, attrs, resource):
        service, kind = resource.get("service.name", ""), KINDS[otlp_span.kind]
        message = otlp_span.status.message
        if not self._plain:
            return scrub(
                {"service": service, "kind": kind, "attributes": attrs, "status_message": message}
            )
        return {
            "service": self._service(service),
            "kind": kind,
            "attributes": {
                key: value for pair in attrs.items() for key, value in self._attribute(pair)
            },
            "status_message": scrub(message, 1) if message else "",
        }

    def name(self, name):
        """A span's name, scrubbed: a sender may name a span after a URL with its query
        string ("GET /reset?token=..."). Names repeat within an export: scrubbed once."""
        try:
            return self._names[name]
        except KeyError:
            found = self._names[name] = scrub_text(name[:500]) or "(unnamed)"
            return found

    def _service(self, service):
        try:
            return self._services[service]
        except KeyError:
            found = self._services[service] = scrub(service, 1)
            return found
        except TypeError:  # not hashable: a list or a map
            return scrub(service, 1)

    def _attribute(self, pair):
        """``((key, value),)`` as ``scrub`` leaves it (the key may be masked as well)."""
        memo = (pair[0], type(pair[1]), pair[1])
        try:
            return self._attributes[memo]
        except KeyError:
            found = self._attributes[memo] = tuple(scrub(dict([pair]), 1).items())
            return found
        except TypeError:
            return tuple(scrub(dict([pair]), 1).items())


def exception_errors(otlp_span, span):
    """Span events named ``exception`` (the semantic conventions) become errors."""
    errors = []
    for event in otlp_span.events:
        if event.name != "exception":
            continue
        attrs = attributes(event.attributes)
        stack = str(attrs.get("exception.stacktrace", ""))[:20_000]
        errors.append(
            CapturedError(
                kind="exception",
                layer=span.layer,
                error_type=str(attrs.get("exception.type", "Exception"))[:255],
                message=scrub_text(str(attrs.get("exception.message", ""))),
                stack_trace=python_frames(stack),
                span_id=span.span_id,
                created_at=timestamp(event.time_unix_nano or otlp_span.start_time_unix_nano),
                request_context={"service": span.metadata["service"], "span": span.name},
            )
        )
    return errors


def python_frames(stack):
    """A Python traceback's frames, innermost last; the service's own code is told from
    installed packages and the standard library by path, as capture tells its own."""
    return [
        {
            "file": m["file"],
            "line": int(m["line"]),
            "function": m["fn"],
            "in_app": not is_library_path(m["file"]),
            "code": "",
        }
        for m in PYTHON_FRAME.finditer(stack)
    ][-50:]


def encode_response(encoding, rejected, message):
    response = ExportTraceServiceResponse()
    if rejected:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if encoding == "protobuf":
        return response.SerializeToString(), PROTOBUF
    return json_format.MessageToJson(response, indent=None), JSON


def encode_status(encoding, http_status, message):
    """An error answer as the specification wants it: a ``google.rpc.Status``."""
    status = status_pb2.Status(code=RPC_CODES.get(http_status, UNKNOWN), message=message)
    if encoding == "protobuf":
        return status.SerializeToString(), PROTOBUF
    return json_format.MessageToJson(status, indent=None), JSON
