"""OTLP/HTTP ingest, fed by the real OpenTelemetry SDK and its exporters (protobuf and
JSON) over real HTTP, recorded by the real recorder."""

import gzip
import json

import pytest
from django.test import Client
from django.utils.module_loading import import_string
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.json.http.trace_exporter import (
    OTLPSpanExporter as JsonExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as ProtobufExporter,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.trace import SpanKind, Status, StatusCode

from flowscope.models import ErrorLog, WorkflowSession
from flowscope.testing import capture_traces

KEY = "otlp-test-key"
PATH = "/api/v1/debugging/otlp/v1/traces"


@pytest.fixture(autouse=True)
def ingest_key(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_KEYS": [KEY], "INGEST_RATE": "1000/s"}


def export(exporter_class, url, key=KEY, build=None, processor=SimpleSpanProcessor):
    """Run ``build(tracer)`` in a service named "inventory"; return the export results."""
    exporter = exporter_class(endpoint=url + PATH, headers={"x-flowscope-key": key})
    results = []
    original = exporter.export
    exporter.export = lambda spans: results.append(original(spans)) or results[-1]
    provider = TracerProvider(resource=Resource.create({"service.name": "inventory"}))
    provider.add_span_processor(processor(exporter))
    build(provider.get_tracer("tests"))
    provider.shutdown()
    return results


def reserve_stock(tracer, correlation_id=None):
    attributes = {"flowscope.correlation_id": correlation_id} if correlation_id else {}
    with tracer.start_as_current_span(
        "POST /reserve",
        kind=SpanKind.SERVER,
        attributes={**attributes, "http.request.method": "POST"},
    ):
        with tracer.start_as_current_span(
            "SELECT stock",
            kind=SpanKind.CLIENT,
            attributes={"db.system": "postgresql", "db.statement": "SELECT 1"},
        ):
            pass
        with tracer.start_as_current_span(
            "GET", kind=SpanKind.CLIENT, attributes={"db.system": "redis"}
        ):
            pass
        with tracer.start_as_current_span(
            "POST warehouse", kind=SpanKind.CLIENT, attributes={"http.request.method": "POST"}
        ) as span:
            try:
                raise TimeoutError("warehouse did not answer for order 17")
            except TimeoutError as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, "timeout"))


@pytest.mark.parametrize("exporter_class", [ProtobufExporter, JsonExporter])
def test_spans_join_the_workflow_named_in_their_attributes(
    live_server, real_recorder, exporter_class
):
    # Batched: one export holds the whole trace; only its entry span names the workflow.
    results = export(
        exporter_class,
        live_server.url,
        processor=BatchSpanProcessor,
        build=lambda tracer: reserve_stock(tracer, "wf-browser-started"),
    )
    assert results == [SpanExportResult.SUCCESS]
    assert real_recorder.flush(10)
    workflow = WorkflowSession.objects.get(correlation_id="wf-browser-started")
    steps = {step.name: step for step in workflow.steps.all()}
    assert {name: step.layer for name, step in steps.items()} == {
        "POST /reserve": "api",
        "SELECT stock": "database",
        "GET": "cache",
        "POST warehouse": "external",
    }
    assert steps["SELECT stock"].parent_span_id == steps["POST /reserve"].span_id
    assert steps["POST warehouse"].status == "error"
    assert steps["POST /reserve"].metadata["service"] == "inventory"
    error = ErrorLog.objects.get(workflow=workflow)
    assert (error.error_type, error.message, error.step.name) == (
        "TimeoutError",
        "warehouse did not answer for order 17",
        "POST warehouse",
    )
    assert error.stack_trace[-1]["function"] == "reserve_stock"
    assert workflow.status == "failed"
    assert workflow.request_count == 1  # the inventory service's server span is a request


def test_without_a_correlation_attribute_the_trace_id_is_the_correlation_id(
    live_server, real_recorder
):
    results = export(ProtobufExporter, live_server.url, build=reserve_stock)
    assert results == [SpanExportResult.SUCCESS] * 4  # one export per span
    assert real_recorder.flush(10)
    workflow = WorkflowSession.objects.get()
    assert len(workflow.correlation_id) == 32
    assert workflow.step_count == 4
    assert workflow.steps.get(name="POST /reserve").metadata["otlp_trace_id"] == (
        workflow.correlation_id
    )


def import_missing_plugin(tracer):
    """A service whose request fails inside libraries: Django's ``import_string`` and the
    standard library's ``importlib``, called from the service's own code (this file)."""
    with tracer.start_as_current_span(
        "POST /plugins", kind=SpanKind.SERVER, attributes={"flowscope.correlation_id": "wf-lib"}
    ) as span:
        try:
            import_string("inventory_plugins.missing.Plugin")
        except ImportError as exc:
            span.record_exception(exc)


def test_frames_of_libraries_in_an_error_stack_are_not_in_app(live_server, real_recorder):
    results = export(JsonExporter, live_server.url, build=import_missing_plugin)
    assert results == [SpanExportResult.SUCCESS]
    assert real_recorder.flush(10)
    frames = ErrorLog.objects.get(workflow__correlation_id="wf-lib").stack_trace
    in_app = {frame["file"]: frame["in_app"] for frame in frames}
    own = [file for file in in_app if file.endswith("tests/flowscope/ingest/test_otlp.py")]
    django_frames = [file for file in in_app if "/site-packages/django/" in file]
    stdlib_frames = [file for file in in_app if file.endswith("/importlib/__init__.py")]
    assert own and django_frames and stdlib_frames, in_app
    assert [in_app[file] for file in own] == [True]
    assert not any(in_app[file] for file in django_frames + stdlib_frames)


def test_a_wrong_key_fails_the_export(live_server, real_recorder):
    results = export(ProtobufExporter, live_server.url, key="nope", build=reserve_stock)
    assert SpanExportResult.FAILURE in results
    assert not WorkflowSession.objects.exists()


def raw_request(span_overrides=()):
    """A hand-made export: one good span, plus the given bad ones."""
    export = ExportTraceServiceRequest()
    spans = export.resource_spans.add().scope_spans.add().spans
    good = spans.add(
        trace_id=bytes(range(1, 17)),
        span_id=bytes(range(1, 9)),
        name="job",
        start_time_unix_nano=1_764_158_400_000_000_000,
        end_time_unix_nano=1_764_158_400_500_000_000,
    )
    for override in span_overrides:
        bad = spans.add()
        bad.CopyFrom(good)
        for field, value in override.items():
            setattr(bad, field, value)
    return export


def post(body, content_type, key=KEY, **extra):
    headers = {"HTTP_X_FLOWSCOPE_KEY": key} if key else {}
    return Client().post(PATH, body, content_type=content_type, **headers, **extra)


def test_invalid_spans_are_rejected_in_partial_success():
    request = raw_request([{"trace_id": bytes(16)}, {"end_time_unix_nano": 1}])
    response = post(request.SerializeToString(), "application/x-protobuf")
    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 2
    assert "invalid trace_id" in answer.partial_success.error_message


def test_json_answers_in_json_and_gzip_is_inflated():
    from google.protobuf import json_format

    body = json_format.MessageToDict(raw_request([{"span_id": bytes(8)}]))
    for span in body["resourceSpans"][0]["scopeSpans"][0]["spans"]:  # OTLP/JSON ids: hex
        span["traceId"] = "0102030405060708090a0b0c0d0e0f10"
        span["spanId"] = "0102030405060708"
    body["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["spanId"] = "0000000000000000"
    response = post(
        gzip.compress(json.dumps(body).encode()), "application/json", HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 200
    assert response.json() == {
        "partialSuccess": {"rejectedSpans": "1", "errorMessage": "invalid span_id"}
    }


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b"\xff\xfe not protobuf", "application/x-protobuf", 400),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
            "application/json",
            400,
        ),
        (b"<xml/>", "application/xml", 415),
    ],
)
def test_bad_bodies_are_refused(body, content_type, status):
    assert post(body, content_type).status_code == status


@pytest.mark.parametrize(
    "body",
    [b'"x"', b"1", b"null", b"[]", b"true", b'{"spans": []}', b'{"resourceLogs": []}'],
)
def test_json_that_is_not_a_trace_export_is_400_with_a_status(body):
    with capture_traces() as traces:
        response = post(body, "application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    status = response.json()
    assert status["code"] == 3  # INVALID_ARGUMENT
    assert "Not an OTLP ExportTraceServiceRequest" in status["message"]
    assert traces == []


@pytest.mark.parametrize(
    "body",
    [
        b"\x08\x01",  # a varint in field 1: not the resource spans the message holds there
        b"\x10\x05",  # an unknown field only
        b"hello",
        ExportTraceServiceRequest().SerializeToString() + b"\x0a",  # truncated
    ],
)
def test_protobuf_that_is_not_a_trace_export_is_400_with_a_status(body):
    response = post(body, "application/x-protobuf")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/x-protobuf"
    status = status_pb2.Status.FromString(response.content)
    assert status.code == 3
    assert "Not an OTLP ExportTraceServiceRequest" in status.message


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"\x0a\x00", "application/x-protobuf"),  # one resource, no spans
        (b"{}", "application/json"),
        (b'{"resourceSpans": []}', "application/json"),
        (b'{"resourceSpans": [], "someFutureField": 1}', "application/json"),
    ],
)
def test_an_empty_export_is_a_success(body, content_type):
    assert post(body, content_type).status_code == 200


def test_errors_answer_a_status_in_the_clients_encoding():
    response = post(raw_request().SerializeToString(), "application/x-protobuf", key="wrong")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/x-protobuf"
    assert status_pb2.Status.FromString(response.content).code == 16  # UNAUTHENTICATED
    bomb = gzip.compress(b"\0" * 2_000_000)
    response = post(bomb, "application/x-protobuf", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413


def test_spans_the_recorder_drops_are_unavailable_for_the_exporter_to_retry():
    from flowscope.testing import use_recorder
    from tests.flowscope.ingest.test_browser_events import FullRecorder

    with use_recorder(FullRecorder()):
        response = post(raw_request().SerializeToString(), "application/x-protobuf")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert status_pb2.Status.FromString(response.content).code == 14  # UNAVAILABLE


def test_a_trace_id_whose_digits_pass_the_card_check_is_kept_as_sent():
    trace_id = bytes.fromhex("4242424242424242abcdef0123456789")  # 16 Luhn-valid digits
    request = raw_request()
    request.resource_spans[0].scope_spans[0].spans[0].trace_id = trace_id
    with capture_traces() as traces:
        response = post(request.SerializeToString(), "application/x-protobuf")
    assert response.status_code == 200
    (span,) = traces[0].spans
    assert span.metadata["otlp_trace_id"] == trace_id.hex()


def test_an_origin_not_allowed_is_refused_with_a_status():
    with capture_traces() as traces:
        response = post(
            raw_request().SerializeToString(),
            "application/x-protobuf",
            HTTP_ORIGIN="https://evil.example",
        )
    assert response.status_code == 403
    assert status_pb2.Status.FromString(response.content).code == 7  # PERMISSION_DENIED
    assert traces == []


def test_the_service_version_is_the_release_of_its_spans():
    request = raw_request()
    version = request.resource_spans[0].resource.attributes.add(key="service.version")
    version.value.string_value = "inventory-4.2.0"
    with capture_traces() as traces:
        response = post(request.SerializeToString(), "application/x-protobuf")
    assert response.status_code == 200
    assert traces[0].release == "inventory-4.2.0"
