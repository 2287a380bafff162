"""A journey: one browser session's workflows in order (the browser SDK's journey id)."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from flowscope.analysis import journeys
from flowscope.api.access import DashboardAPIView
from flowscope.api.schema import extend_schema
from flowscope.models import ErrorLog, TraceStep, WorkflowSession
from flowscope.records.correlation import JOURNEY_ID
from flowscope.wire import WorkflowSerializer

MAX_MESSAGE = 500  # of a failure's message: the error's own page shows it whole


class FailureSerializer(serializers.ModelSerializer):
    """An error that failed the workflow: where it failed."""

    step = serializers.CharField(
        source="step.name", default=None, allow_null=True, help_text="the step it happened in"
    )
    message = serializers.SerializerMethodField()

    class Meta:
        model = ErrorLog
        fields = ["id", "error_type", "message", "layer", "severity", "step", "created_at"]

    def get_message(self, error) -> str:
        message = error.message
        return message if len(message) <= MAX_MESSAGE else f"{message[: MAX_MESSAGE - 1]}…"


class PageLoadSerializer(serializers.ModelSerializer):
    """A page's load, as the browser timed it."""

    url = serializers.CharField(source="metadata.url", default="")
    ttfb_ms = serializers.FloatField(
        source="metadata.ttfb", default=None, allow_null=True, help_text="time to first byte"
    )

    class Meta:
        model = TraceStep
        fields = ["url", "started_at", "duration_ms", "ttfb_ms"]


class JourneyWorkflowSerializer(WorkflowSerializer):
    failures = FailureSerializer(
        many=True,
        read_only=True,
        help_text=f"the first {journeys.MAX_DETAILS} errors that failed it, oldest first "
        "(also of one that recovered)",
    )
    page_loads = PageLoadSerializer(
        many=True, read_only=True, help_text=f"its first {journeys.MAX_DETAILS} page loads"
    )

    class Meta(WorkflowSerializer.Meta):
        fields = [*WorkflowSerializer.Meta.fields, "failures", "page_loads"]


class JourneySerializer(serializers.Serializer):
    journey_id = serializers.CharField()
    user = serializers.CharField(allow_null=True, help_text="the latest signed-in user")
    started_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(
        WorkflowSession.Status.choices, help_text="the status of the latest workflow"
    )
    first_failure = serializers.CharField(
        allow_null=True,
        help_text="the correlation ID of the first workflow that failed (even if a retry "
        "then completed it)",
    )
    workflows = JourneyWorkflowSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text=f"more than {journeys.MAX_WORKFLOWS} workflows: the first ones are shown"
    )


class JourneyView(DashboardAPIView):
    """One browser session's workflows in the order they started, and where it failed."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "journey_id", str, OpenApiParameter.PATH, pattern=f"^{JOURNEY_ID.pattern}$"
            )
        ],
        responses=JourneySerializer,
    )
    def get(self, request, journey_id):
        if not JOURNEY_ID.fullmatch(journey_id):
            raise ValidationError({"journey_id": ["8 to 64 of A-Z a-z 0-9 _ -"]})
        found = journeys.journey(journey_id)
        if found is None:
            raise NotFound("No workflow of this journey has been recorded.")
        return Response(JourneySerializer(found).data)
