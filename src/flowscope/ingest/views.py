"""The ingest endpoints: browser events and OTLP/HTTP traces."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from flowscope.api import parsers
from flowscope.api.exceptions import ApiErrorSerializer, FlowscopeErrorsMixin
from flowscope.api.schema import FlowscopeAutoSchema, extend_schema
from flowscope.conf import flowscope_settings
from flowscope.ingest import batch, bodies, delivery, events, otlp
from flowscope.ingest.access import (
    FromAllowedOrigin,
    HasIngestKey,
    IngestKeyAuthentication,
    IngestKeyThrottle,
    cors_headers,
)
from flowscope.recording.recorder import get_recorder


class RecorderFull(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "recorder_full"
    retry_after = 1


class IngestSchema(FlowscopeAutoSchema):
    also = (413, 503)  # a body or batch too large; the recorder full


class IngestAPIView(FlowscopeErrorsMixin, APIView):
    """Key, origin, rate limit and CORS, shared by both endpoints; bodies are read by hand,
    within limits, so no DRF parser is involved."""

    authentication_classes = [IngestKeyAuthentication]
    permission_classes = [HasIngestKey, FromAllowedOrigin]
    throttle_classes = [IngestKeyThrottle]
    parser_classes = []
    schema = IngestSchema()

    def options(self, request, *args, **kwargs):
        return Response(status=status.HTTP_204_NO_CONTENT)

    def initial(self, request, *args, **kwargs):
        if request.method == "OPTIONS":  # a CORS preflight carries no key
            return
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for header, value in cors_headers(request).items():
            response[header] = value
        return response

    @staticmethod
    def submit(request, body, records):
        """Queue all the records or none: when the recorder has no room, a 503 the sender
        retries after a second (OTLP exporters do), having stored nothing. Each record is
        keyed (``delivery.keyed``), so a retry of a request that was accepted stores
        nothing twice."""
        if not records:
            return
        delivery.keyed(records, request.auth, body, request.headers.get(delivery.HEADER))
        if not get_recorder().submit_all(records):
            raise RecorderFull(
                f"None of {len(records)} workflows' events was taken: the recorder is "
                "behind; retry later."
            )

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, RecorderFull):
            response["Retry-After"] = str(RecorderFull.retry_after)
        return response


EVENTS_REQUEST = inline_serializer(
    "IngestEvents", {"events": serializers.ListField(child=serializers.DictField(), max_length=500)}
)
ACCEPTED = inline_serializer("IngestAccepted", {"accepted": serializers.IntegerField()})
PARTLY_REJECTED = inline_serializer(
    "IngestPartlyRejected",
    {
        "accepted": serializers.IntegerField(),
        "rejected": serializers.ListField(child=serializers.DictField()),
    },
)
# Some events invalid (the others were taken), or the body unreadable (nothing was).
INGEST_REFUSED = PolymorphicProxySerializer(
    component_name="IngestRefused",
    serializers=[PARTLY_REJECTED, ApiErrorSerializer],
    resource_type_field_name=None,
)


class BrowserEventsView(IngestAPIView):
    """``POST {"events": [...]}`` from the browser SDK (docs/ingest.md)."""

    @extend_schema(
        IngestSchema,
        request=EVENTS_REQUEST,
        responses={202: ACCEPTED, 400: INGEST_REFUSED},
        description="Key in X-Flowscope-Key (or ?key= for sendBeacon).",
    )
    def post(self, request):
        body = bodies.read_body(request)
        valid = batch.decode(body)
        if valid is None:
            return self.judged_one_by_one(request, body)
        self.check_count(valid)
        self.submit(request, body, events.to_records(valid))
        return Response({"accepted": len(valid)}, status=status.HTTP_202_ACCEPTED)

    def judged_one_by_one(self, request, body):
        """A batch with invalid events (or in a form the fast path does not take): each
        event through its serializer; the valid ones are accepted, the others named."""
        payload = parsers.loads(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
            raise ParseError('The body must be {"events": [...]}.')
        raw_events = payload["events"]
        self.check_count(raw_events)
        valid, rejected = [], []
        for index, raw in enumerate(raw_events):
            event, errors = events.validate(raw)
            if errors:
                rejected.append({"index": index, "errors": errors})
            else:
                valid.append(event)
        self.submit(request, body, events.to_records(valid))
        if rejected:
            return Response(
                {"accepted": len(valid), "rejected": rejected}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response({"accepted": len(valid)}, status=status.HTTP_202_ACCEPTED)

    @staticmethod
    def check_count(found):
        limit = flowscope_settings.INGEST_MAX_EVENTS
        if len(found) > limit:
            raise bodies.PayloadTooLarge(f"{len(found)} events; at most {limit} a request.")


OTLP_STATUS = {
    "type": "object",
    "description": "A google.rpc.Status.",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object"}},
    },
}


class OtlpSchema(IngestSchema):
    """Errors are a ``google.rpc.Status``, in the encoding of the request; an export always
    has a body (its media type says which encoding)."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        operation["requestBody"]["required"] = True
        return operation

    def error_content(self):
        return {
            "application/json": {"schema": OTLP_STATUS},
            "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
        }


class OtlpTracesView(IngestAPIView):
    """OTLP/HTTP ``/v1/traces``: protobuf or JSON, answered in the same encoding."""

    schema = OtlpSchema()

    @extend_schema(
        OtlpSchema,
        request={
            "application/x-protobuf": OpenApiTypes.BINARY,
            "application/json": OpenApiTypes.OBJECT,
        },
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/x-protobuf"): OpenApiTypes.BINARY,
            415: OpenApiResponse(description="Neither protobuf nor JSON; no body."),
        },
        description="An OTLP ExportTraceServiceRequest; key in X-Flowscope-Key.",
    )
    def post(self, request):
        encoding = otlp.encoding_of(request.content_type)
        if encoding is None:
            return HttpResponse(status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
        body = bodies.read_body(request)
        records, rejected, message = otlp.to_records(otlp.decode(body, encoding))
        self.submit(request, body, records)
        answer, content_type = otlp.encode_response(encoding, rejected, message)
        return HttpResponse(answer, content_type=content_type)

    def handle_exception(self, exc):
        """Errors in the encoding the client sent (a ``google.rpc.Status``)."""
        response = super().handle_exception(exc)
        encoding = otlp.encoding_of(self.request.content_type) or "json"
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        body, content_type = otlp.encode_status(encoding, response.status_code, str(detail))
        answer = HttpResponse(body, status=response.status_code, content_type=content_type)
        for header in ("WWW-Authenticate", "Retry-After"):
            if header in response:
                answer[header] = response[header]
        return answer
