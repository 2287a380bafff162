"""The error list's shapes: one occurrence, or one group of occurrences."""

from rest_framework import serializers

from flowscope.models import ErrorLog
from flowscope.wire import StepSerializer


class ErrorSerializer(serializers.ModelSerializer):
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
