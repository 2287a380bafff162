"""The shapes flowscope's records take on the wire, the same over REST and WebSocket: a
workflow, a step, a performance rollup; and the JSON-ready form of what the read model
answers. ``flowscope.api`` and ``flowscope.realtime`` both build on this module and
neither imports the other.
"""

import json

from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from flowscope.models import PerformanceSnapshot, TraceStep, WorkflowSession
from flowscope.thresholds import judged_statistic


class WorkflowSerializer(serializers.ModelSerializer):
    user = serializers.CharField(
        source="user.get_username", default=None, read_only=True, allow_null=True
    )
    ended = serializers.BooleanField(
        read_only=True, help_text="Whether the workflow ended: completed, failed or timed out."
    )
    kind = serializers.ChoiceField(
        WorkflowSession.Kind.choices,
        read_only=True,
        help_text="workflow, or request: a request outside any workflow (no correlation ID "
        "came with it, its route names no workflow type), stored ended.",
    )
    elapsed_ms = serializers.SerializerMethodField(
        help_text="From the start of its first step to the end of its last: what was recorded, "
        "ended or not (duration_ms is set once it ended)."
    )

    class Meta:
        model = WorkflowSession
        fields = [
            "correlation_id",
            "workflow_type",
            "status",
            "ended",
            "user",
            "started_at",
            "last_activity_at",
            "ended_at",
            "duration_ms",
            "elapsed_ms",
            "request_count",
            "step_count",
            "error_count",
            "failed_attempts",
            "metadata",
            "journey_id",
            "kind",
            "release",
        ]
        extra_kwargs = {
            "failed_attempts": {
                "help_text": "How many times it failed: one that then completed recovered "
                "after this many failed attempts (a retry continues the workflow)."
            }
        }

    def get_elapsed_ms(self, workflow) -> float:
        return round(workflow.recorded_ms, 3)


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
    judged_on = serializers.SerializerMethodField(
        help_text="Which figure the thresholds judge: p95 (response times and sizes) or "
        "value (the window's mean, or its rate)."
    )
    judged_value = serializers.SerializerMethodField(
        help_text="That figure: what an alert fired on."
    )

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
            "judged_on",
            "judged_value",
            "recorded_at",
        ]

    def get_judged_on(self, snapshot) -> str:
        return judged_statistic(snapshot.metric)

    def get_judged_value(self, snapshot) -> float | None:
        return getattr(snapshot, judged_statistic(snapshot.metric))


def json_ready(data):
    """``data`` with every value as the REST API renders it (times in ISO 8601, UTC as
    ``Z``): what a socket sends is then what a REST client reads."""
    return json.loads(json.dumps(data, cls=JSONEncoder))
