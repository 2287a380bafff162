import django_filters
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from flowscope.analysis import performance, windows
from flowscope.analysis.performance import SERIES_METRICS
from flowscope.api.access import DashboardAccessMixin
from flowscope.api.filters import StrictFilterSet, UtcDateTimeFilter, requested_window
from flowscope.api.schema import FlowscopeAutoSchema, extend_schema
from flowscope.models import PerformanceSnapshot
from flowscope.wire import SnapshotSerializer


class SnapshotFilter(StrictFilterSet):
    metric = django_filters.ChoiceFilter(choices=[(m, m) for m in SERIES_METRICS])
    layer = django_filters.CharFilter(max_length=20)
    component = django_filters.CharFilter(max_length=255)
    since = UtcDateTimeFilter(field_name="window_start", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="window_start", lookup_expr="lt")
    alerts = django_filters.BooleanFilter(field_name="is_alert")

    class Meta:
        model = PerformanceSnapshot
        fields = []


class PointSerializer(serializers.Serializer):
    t = serializers.DateTimeField(help_text="The window's start.")
    count = serializers.IntegerField()
    p95 = serializers.FloatField(allow_null=True)
    p99 = serializers.FloatField(allow_null=True)
    value = serializers.FloatField(allow_null=True)


class PerformanceSeriesSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(SERIES_METRICS)
    window = serializers.ChoiceField(list(windows.WINDOWS))
    points = PointSerializer(many=True)


class PerformanceSchema(FlowscopeAutoSchema):
    """A page of rollups, or with ``?series=`` a time series: the answer is one of them."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        content = operation["responses"]["200"]["content"]["application/json"]
        series = self.resolve_serializer(PerformanceSeriesSerializer, "response").ref
        content["schema"] = {"oneOf": [content["schema"], series]}
        return operation


class PerformanceView(DashboardAccessMixin, ListAPIView):
    """Rollups and alerts; ``?series=<metric>`` answers a chart-ready time series instead
    (one point per window, every process and component combined, count-weighted)."""

    serializer_class = SnapshotSerializer
    queryset = performance.rollups()
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = SnapshotFilter
    schema = PerformanceSchema()

    @extend_schema(
        PerformanceSchema,
        parameters=[
            OpenApiParameter("series", str, enum=list(SERIES_METRICS)),
            OpenApiParameter("window", str, enum=list(windows.WINDOWS)),
        ],
    )
    def get(self, request, *args, **kwargs):
        window = requested_window(request)
        metric = request.query_params.get("series")
        if metric is None:
            return super().get(request, *args, **kwargs)
        if metric not in SERIES_METRICS:
            raise ValidationError({"series": [f"Use one of {', '.join(SERIES_METRICS)}."]})
        self.paginator.check_parameters(request)  # a series is not paged, yet they are read
        return Response(self.time_series(request, metric, window))

    def time_series(self, request, metric, window):
        name, since, until = windows.window(window)
        snapshots = self.filter_queryset(performance.rollups_of(metric, since, until))
        per_component = "component" in request.query_params
        return {
            "metric": metric,
            "window": name,
            "points": performance.points(snapshots, metric, per_component),
        }
