from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from flowscope.analysis import changes, snapshot, windows
from flowscope.api.access import DashboardAPIView
from flowscope.api.filters import requested_window
from flowscope.api.schema import extend_schema
from flowscope.wire import SnapshotSerializer, WorkflowSerializer

WINDOW_PARAMETER = OpenApiParameter("window", str, enum=list(windows.WINDOWS))
ANY_OBJECT = inline_serializer("DashboardObject", {"generated_at": serializers.DateTimeField()})
CHANGES = inline_serializer(
    "RealtimeChanges",
    {
        "since": serializers.DateTimeField(),
        "clamped": serializers.BooleanField(),
        "server_time": serializers.DateTimeField(),
        "workflows": WorkflowSerializer(many=True),
        "errors": serializers.ListField(child=serializers.DictField()),
        "alerts": SnapshotSerializer(many=True),
        "system_health": serializers.DictField(),
    },
)


class DashboardDataView(DashboardAPIView):
    """Everything the overview needs, for one time window."""

    @extend_schema(parameters=[WINDOW_PARAMETER], responses=ANY_OBJECT)
    def get(self, request):
        return Response(snapshot.dashboard_snapshot(request.user, requested_window(request)))


class RealtimeUpdatesView(DashboardAPIView):
    """What changed since ``?since=`` (ISO 8601): pass back ``server_time`` as the next
    ``since``. The same events the WebSocket pushes, for clients that poll or catch up."""

    @extend_schema(
        parameters=[OpenApiParameter("since", OpenApiTypes.DATETIME, required=True)],
        responses=CHANGES,
    )
    def get(self, request):
        now = timezone.now()
        since, clamped = changes.clamped(self.since(request), now)
        configuration = windows.default_configuration(request.user)
        changed = changes.changes_since(since, now, windows.thresholds_for(configuration))
        return Response(
            {
                "since": since,
                "clamped": clamped,
                "server_time": now,
                "workflows": WorkflowSerializer(changed["workflows"], many=True).data,
                "errors": changed["errors"],
                "alerts": SnapshotSerializer(changed["alerts"], many=True).data,
                "system_health": changed["system_health"],
            }
        )

    @staticmethod
    def since(request):
        raw = request.query_params.get("since", "")
        try:
            since = parse_datetime(raw)
        except ValueError:
            since = None
        if since is None or since.tzinfo is None:
            raise ValidationError({"since": ["An ISO 8601 time with a time zone is required."]})
        return since.astimezone(UTC)
