"""The shapes flowscope's records take on the wire, the same over REST and WebSocket: a
workflow, a step, a performance rollup; and the JSON-ready form of what the read model
answers. ``flowscope.api`` and ``flowscope.realtime`` both build on this module and
neither imports the other.
"""

import json

from django.utils import timezone
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from flowscope.models import PerformanceSnapshot, TraceStep, WorkflowSession


class WorkflowSerializer(serializers.ModelSerializer):
    user = serializers.CharField(
        source="user.get_username", default=None, read_only=True, allow_null=True
    )
    elapsed_ms = serializers.SerializerMethodField()

    class Meta:
        model = WorkflowSession
        fields = [
            "correlation_id",
            "workflow_type",
            "status",
            "user",
            "started_at",
            "last_activity_at",
            "ended_at",
            "duration_ms",
            "elapsed_ms",
            "request_count",
            "step_count",
            "error_count",
            "metadata",
        ]

    def get_elapsed_ms(self, workflow) -> float:
        end = workflow.ended_at or timezone.now()
        return round((end - workflow.started_at).total_seconds() * 1000, 3)


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = TraceStep
        fields = [
            "id",
            "span_id",
            "parent_span_id",
            "layer",
            "name",
            "status",
            "started_at",
            "duration_ms",
            "metadata",
        ]


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = PerformanceSnapshot
        fields = [
            "id",
            "metric",
            "layer",
            "component",
            "source",
            "window_start",
            "window_seconds",
            "count",
            "value",
            "p50",
            "p95",
            "p99",
            "threshold",
            "is_alert",
            "severity",
            "recorded_at",
        ]


# The JSON types each kind of field reads. DRF also reads "12" as a number, 1 as a string
# and "yes" as true; the API's schema promises JSON types, so a request is held to them.
JSON_TYPES = (
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "a whole number"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.CharField, (str,), "a string"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.DateTimeField, (str,), "a string"),
    (serializers.ListField, (list,), "a list"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.Serializer, (dict,), "an object"),
)


class JsonTypesMixin:
    """For serializers that read a JSON request: each value must be of its field's JSON
    type (a 400 naming the field), before DRF's own conversions."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            wrong = {
                name: [f"Must be {expected}."]
                for name, field in self.fields.items()
                if name in data and (expected := mistyped(field, data[name]))
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


def mistyped(field, value):
    """What ``value`` should have been for ``field``, or None when it is of the right type."""
    if field.read_only or (value is None and field.allow_null):
        return None
    for kind, types, expected in JSON_TYPES:
        if isinstance(field, kind):
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                return expected
            return mistyped_item(field, value)
    return None


def mistyped_item(field, value):
    """For a list or an object of values of one kind: what one of them should have been."""
    if not isinstance(field, serializers.ListField | serializers.DictField):
        return None
    items = value if isinstance(value, list) else value.values()
    problem = next(filter(None, (mistyped(field.child, item) for item in items)), None)
    return problem and f"{expected_of(field)} of which each is {problem}"


def expected_of(field):
    return "a list" if isinstance(field, serializers.ListField) else "an object"


def json_ready(data):
    """``data`` with every value as the REST API renders it (times in ISO 8601, UTC as
    ``Z``): what a socket sends is then what a REST client reads."""
    return json.loads(json.dumps(data, cls=JSONEncoder))
