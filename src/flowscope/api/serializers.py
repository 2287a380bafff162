from django.utils import timezone
from rest_framework import serializers

from flowscope.models import (
    DashboardConfiguration,
    ErrorLog,
    PerformanceSnapshot,
    TraceStep,
    WorkflowSession,
)

METRICS = ("response_time_ms", "error_rate", "query_count", "cache_hit_ratio", "throughput_rpm")


class WorkflowSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.get_username", default=None, read_only=True)
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

    def get_elapsed_ms(self, workflow):
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


class ErrorSerializer(serializers.ModelSerializer):
    correlation_id = serializers.CharField(
        source="workflow.correlation_id", default=None, read_only=True
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


class ThresholdRuleSerializer(serializers.Serializer):
    warning = serializers.FloatField(required=False, min_value=0)
    critical = serializers.FloatField(required=False, min_value=0)
    above = serializers.BooleanField(required=False)


class DashboardConfigurationSerializer(serializers.ModelSerializer):
    widgets = serializers.ListField(
        child=serializers.ChoiceField(DashboardConfiguration.WIDGETS),
        required=False,
        max_length=len(DashboardConfiguration.WIDGETS),
    )
    thresholds = serializers.DictField(child=ThresholdRuleSerializer(), required=False)
    refresh_interval = serializers.IntegerField(min_value=1, max_value=3600, required=False)

    class Meta:
        model = DashboardConfiguration
        fields = [
            "id",
            "name",
            "refresh_interval",
            "widgets",
            "default_window",
            "thresholds",
            "is_default",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_thresholds(self, thresholds):
        unknown = sorted(set(thresholds) - set(METRICS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown metric(s) {', '.join(unknown)}; use {', '.join(METRICS)}."
            )
        for metric, rule in thresholds.items():
            above = rule.get("above", metric != "cache_hit_ratio")
            low, high = rule.get("warning"), rule.get("critical")
            if low is not None and high is not None and (low > high if above else low < high):
                raise serializers.ValidationError(
                    f"{metric}: 'critical' must be past 'warning' in the direction of worse."
                )
        return thresholds

    def validate_name(self, name):
        user = self.context["request"].user
        taken = DashboardConfiguration.objects.filter(user=user, name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("You already have a configuration of that name.")
        return name
