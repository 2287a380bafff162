"""The history of manual test runs over the API, and what re-running one takes."""

from django.urls import reverse
from rest_framework import serializers

from flowscope.json_types import JsonTypesMixin
from flowscope.models import TestRun


def trace_url(request, correlation_id):
    """Where the run's trace is read: the workflow detail of its correlation ID."""
    path = reverse("flowscope:workflow-detail", kwargs={"correlation_id": correlation_id})
    return request.build_absolute_uri(path)


class RerunRequest(JsonTypesMixin, serializers.Serializer):
    """Values for what was masked when the run was stored (or to change on the re-run)."""

    headers = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    query = serializers.DictField(child=serializers.JSONField(), required=False)
    payload = serializers.JSONField(required=False, allow_null=True)
    assertions = serializers.ListField(child=serializers.DictField(), required=False)
    params = serializers.DictField(child=serializers.JSONField(), required=False)


class TestRunSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.get_username", default=None, read_only=True, allow_null=True
    )
    name = serializers.SerializerMethodField()
    trace_url = serializers.SerializerMethodField()

    class Meta:
        model = TestRun
        fields = ["id", "kind", "name", "passed", "correlation_id", "trace_url", "created_by",
                  "created_at", "duration_ms", "request", "result"]  # fmt: skip

    def get_name(self, run) -> str:
        if run.kind == TestRun.Kind.WORKFLOW:
            return run.request.get("workflow", "")
        return f"{run.request.get('method', '')} {run.request.get('path', '')}"

    def get_trace_url(self, run) -> str:
        return trace_url(self.context["request"], run.correlation_id)


class TestRunListSerializer(TestRunSerializer):
    """Without the (possibly large) response bodies: a summary instead."""

    summary = serializers.SerializerMethodField()

    class Meta(TestRunSerializer.Meta):
        fields = [*TestRunSerializer.Meta.fields[:-1], "summary"]

    def get_summary(self, run) -> dict:
        result = run.result
        if run.kind == TestRun.Kind.WORKFLOW:
            steps = result.get("steps", [])
            failed = next((s["name"] for s in steps if not s["passed"] and not s["skipped"]), None)
            return {"steps": len(steps), "failed_step": failed}
        return {key: result.get(key) for key in ("status_code", "expected_status", "error")}
