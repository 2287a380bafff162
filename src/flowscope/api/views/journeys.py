"""A journey: one browser session's workflows in order (the browser SDK's journey id)."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from flowscope.analysis import journeys
from flowscope.api.access import DashboardAPIView
from flowscope.api.schema import extend_schema
from flowscope.models import WorkflowSession
from flowscope.records.correlation import JOURNEY_ID
from flowscope.wire import WorkflowSerializer


class JourneySerializer(serializers.Serializer):
    journey_id = serializers.CharField()
    user = serializers.CharField(allow_null=True, help_text="the latest signed-in user")
    started_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(
        WorkflowSession.Status.choices, help_text="the status of the latest workflow"
    )
    first_failure = serializers.CharField(
        allow_null=True, help_text="the correlation ID of the first workflow that failed"
    )
    workflows = WorkflowSerializer(many=True)
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
