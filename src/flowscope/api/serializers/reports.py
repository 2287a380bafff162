"""Reports over the API: a stored report, the list's summary of one, and what asking for
a new one takes (a workflow, or a period with optional routes and layers)."""

from datetime import UTC, timedelta

from django.utils import timezone
from rest_framework import serializers

from flowscope.json_types import JsonTypesMixin
from flowscope.models import Layer, Report
from flowscope.records.correlation import CORRELATION_ID

MAX_PERIOD = timedelta(days=31)


class PeriodSerializer(JsonTypesMixin, serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    hours = serializers.FloatField(
        required=False, min_value=0.01, max_value=MAX_PERIOD.total_seconds() / 3600
    )

    def validate(self, data):
        if "hours" in data:
            if "start" in data or "end" in data:
                raise serializers.ValidationError({"hours": ["Give hours, or start and end."]})
            end = timezone.now()
            return {"start": end - timedelta(hours=data["hours"]), "end": end}
        if "start" not in data or "end" not in data:
            raise serializers.ValidationError({"start": ['Give "start" and "end", or "hours".']})
        start, end = data["start"].astimezone(UTC), data["end"].astimezone(UTC)
        if end <= start:
            raise serializers.ValidationError({"end": ["Must be after start."]})
        if end - start > MAX_PERIOD:
            raise serializers.ValidationError(
                {"end": [f"A report covers at most {MAX_PERIOD.days} days."]}
            )
        return {"start": start, "end": end}


class ReportSerializer(serializers.ModelSerializer):
    generated_by = serializers.CharField(
        source="generated_by.get_username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "report_type",
            "title",
            "parameters",
            "generated_at",
            "generated_by",
            "summary",
            "sections",
        ]


class ReportListSerializer(ReportSerializer):
    class Meta(ReportSerializer.Meta):
        fields = ["id", "report_type", "title", "parameters", "generated_at", "generated_by"]


class WorkflowReportRequest(JsonTypesMixin, serializers.Serializer):
    correlation_id = serializers.RegexField(rf"\A{CORRELATION_ID.pattern}\Z")


class PerformanceReportRequest(PeriodSerializer):
    routes = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, max_length=50
    )
    layers = serializers.ListField(child=serializers.ChoiceField(Layer.values), required=False)

    def validate(self, data):
        return {
            **super().validate(data),
            "routes": data.get("routes", []),
            "layers": data.get("layers", []),
        }
