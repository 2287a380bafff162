from datetime import UTC, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from flowscope.analysis import health, overview
from flowscope.api.access import DashboardAPIView
from flowscope.api.serializers import SnapshotSerializer, WorkflowSerializer
from flowscope.api.windows import thresholds_for, user_configuration, window_for
from flowscope.conf import flowscope_settings
from flowscope.models import ErrorLog, PerformanceSnapshot, WorkflowSession

CHANGES_LIMIT = 100
WINDOW_PARAMETER = OpenApiParameter("window", str, enum=["15m", "1h", "6h", "24h", "7d"])
ANY_OBJECT = inline_serializer("DashboardObject", {"generated_at": serializers.DateTimeField()})


class DashboardDataView(DashboardAPIView):
    """Everything the overview needs, for one time window."""

    @extend_schema(parameters=[WINDOW_PARAMETER], responses=ANY_OBJECT)
    def get(self, request):
        configuration = user_configuration(request.user)
        name, since, until = window_for(request, configuration)
        data = overview.dashboard_data(since, until, thresholds_for(configuration), name)
        data["active_workflows"] = WorkflowSerializer(data["active_workflows"], many=True).data
        return Response(data)


class RealtimeUpdatesView(DashboardAPIView):
    """What changed since ``?since=`` (ISO 8601): pass back ``server_time`` as the next
    ``since``. The same events the WebSocket pushes, for clients that poll or catch up."""

    @extend_schema(parameters=[OpenApiParameter("since", str, required=True)], responses=ANY_OBJECT)
    def get(self, request):
        now = timezone.now()
        since, clamped = self.since(request, now)
        configuration = user_configuration(request.user)
        overall, layers = health.layer_health(
            now - timedelta(minutes=15), now, thresholds_for(configuration)
        )
        return Response(
            {
                "since": since,
                "clamped": clamped,
                "server_time": now,
                "workflows": WorkflowSerializer(self.changed_workflows(since), many=True).data,
                "errors": list(
                    ErrorLog.objects.filter(recorded_at__gte=since)
                    .order_by("-created_at")
                    .values(
                        "id",
                        "fingerprint",
                        "error_type",
                        "message",
                        "severity",
                        "layer",
                        "created_at",
                        "workflow__correlation_id",
                    )[:CHANGES_LIMIT]
                ),
                "alerts": SnapshotSerializer(
                    PerformanceSnapshot.objects.filter(
                        is_alert=True, recorded_at__gte=since
                    ).order_by("-recorded_at")[:CHANGES_LIMIT],
                    many=True,
                ).data,
                "system_health": {"overall_status": overall, "layers": layers},
            }
        )

    @staticmethod
    def since(request, now):
        raw = request.query_params.get("since", "")
        try:
            since = parse_datetime(raw)
        except ValueError:
            since = None
        if since is None or since.tzinfo is None:
            raise ValidationError({"since": ["An ISO 8601 time with a time zone is required."]})
        since = since.astimezone(UTC)
        oldest = now - timedelta(seconds=flowscope_settings.REALTIME_MAX_LOOKBACK_SECONDS)
        return (oldest, True) if since < oldest else (since, False)

    @staticmethod
    def changed_workflows(since):
        return (
            WorkflowSession.objects.filter(updated_at__gte=since)
            .select_related("user")
            .order_by("-updated_at")[:CHANGES_LIMIT]
        )
