"""The error list's shapes: one occurrence, or one group of occurrences."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowscope.models import ErrorLog
from flowscope.wire import StepSerializer


def _text(help_text="", **kwargs):
    return serializers.CharField(allow_blank=True, help_text=help_text, **kwargs)


def _lines(help_text):
    return serializers.ListField(child=_text(), required=False, help_text=help_text)


class FrameSerializer(serializers.Serializer):
    """One frame of an error's stack (innermost last), as stored. Frames of a browser or of
    another service (OpenTelemetry) hold only the first five keys."""

    file = _text()
    line = serializers.IntegerField()
    function = _text()
    in_app = serializers.BooleanField(help_text="the project's own code, not a library's")
    code = _text("the frame's line, trimmed", required=False)
    pre_context = _lines("the lines before it (SOURCE_CONTEXT_LINES), scrubbed")
    context_line = _text("the frame's line as written, scrubbed", required=False)
    post_context = _lines("the lines after it, scrubbed")
    locals = serializers.DictField(
        child=_text(),
        required=False,
        help_text="in-app frames only: each local's repr, capped and scrubbed "
        "(secret-looking names are [Filtered])",
    )
    more_locals = serializers.IntegerField(
        required=False, help_text="locals left out past LOCALS_MAX_VARIABLES"
    )


@extend_schema_field(FrameSerializer(many=True))
class StackTraceField(serializers.JSONField):
    """The stored frames as they are (``FrameSerializer`` documents them)."""


class ErrorSerializer(serializers.ModelSerializer):
    stack_trace = StackTraceField(read_only=True)
    correlation_id = serializers.CharField(
        source="workflow.correlation_id", default=None, read_only=True, allow_null=True
    )
    step = StepSerializer(read_only=True)

    class Meta:
        model = ErrorLog
        fields = [
            "id",
            "fingerprint",
            "correlation_id",
            "step",
            "layer",
            "error_type",
            "message",
            "severity",
            "resolved",
            "created_at",
            "stack_trace",
            "request_context",
        ]


class ErrorGroupSerializer(serializers.Serializer):
    """One error, however often it happened (grouped by fingerprint)."""

    fingerprint = serializers.CharField()
    latest_id = serializers.IntegerField()
    error_type = serializers.CharField()
    message = serializers.CharField()
    layer = serializers.CharField()
    severity = serializers.CharField()
    count = serializers.IntegerField()
    unresolved = serializers.IntegerField()
    resolved = serializers.BooleanField()
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    sample_correlation_ids = serializers.ListField(child=serializers.CharField())
