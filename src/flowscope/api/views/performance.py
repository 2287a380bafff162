import django_filters
from django.db.models import F, FloatField, Max, Sum
from django.db.models.functions import Cast
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from flowscope.api.access import DashboardAccessMixin
from flowscope.api.filters import UtcDateTimeFilter
from flowscope.api.serializers import METRICS, SnapshotSerializer
from flowscope.api.windows import window_for
from flowscope.models import PerformanceSnapshot

SERIES_METRICS = (*METRICS, "cpu_percent", "memory_mb", "threads")


class SnapshotFilter(django_filters.FilterSet):
    metric = django_filters.ChoiceFilter(choices=[(m, m) for m in SERIES_METRICS])
    layer = django_filters.CharFilter(max_length=20)
    component = django_filters.CharFilter(max_length=255)
    since = UtcDateTimeFilter(field_name="window_start", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="window_start", lookup_expr="lt")
    alerts = django_filters.BooleanFilter(field_name="is_alert")

    class Meta:
        model = PerformanceSnapshot
        fields = []


class PerformanceView(DashboardAccessMixin, ListAPIView):
    """Rollups and alerts; ``?series=<metric>`` answers a chart-ready time series instead
    (one point per window, every process and component combined, count-weighted)."""

    serializer_class = SnapshotSerializer
    queryset = PerformanceSnapshot.objects.order_by("-window_start", "id")
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = SnapshotFilter

    @extend_schema(
        parameters=[
            OpenApiParameter("series", str, enum=list(SERIES_METRICS)),
            OpenApiParameter("window", str, enum=["15m", "1h", "6h", "24h", "7d"]),
        ]
    )
    def get(self, request, *args, **kwargs):
        metric = request.query_params.get("series")
        if metric is None:
            return super().get(request, *args, **kwargs)
        if metric not in SERIES_METRICS:
            raise ValidationError({"series": [f"Use one of {', '.join(SERIES_METRICS)}."]})
        return Response(self.series(request, metric))

    def series(self, request, metric):
        name, since, until = window_for(request)
        snapshots = self.filter_queryset(
            PerformanceSnapshot.objects.filter(
                metric=metric, window_start__gte=since, window_start__lt=until
            )
        )
        if "component" not in request.query_params and metric != "throughput_rpm":
            snapshots = snapshots.exclude(component="*")
        elif metric == "throughput_rpm":
            snapshots = snapshots.filter(component="*")
        rows = (
            snapshots.values("window_start")
            .order_by("window_start")
            .annotate(
                observations=Sum("count"),
                p95=Max("p95"),
                p99=Max("p99"),
                weighted=Sum(F("value") * Cast("count", FloatField())),
                total=Sum("value"),
            )
        )
        additive = metric in ("throughput_rpm",)
        return {
            "metric": metric,
            "window": name,
            "points": [
                {
                    "t": row["window_start"],
                    "count": row["observations"],
                    "p95": row["p95"],
                    "p99": row["p99"],
                    "value": row["total"]
                    if additive
                    else (row["weighted"] / row["observations"] if row["observations"] else None),
                }
                for row in rows
            ],
        }
