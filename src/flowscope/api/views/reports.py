"""Reports: generate (stored), list, read, delete, export."""

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from flowscope.api.access import DashboardAccessMixin
from flowscope.api.exceptions import ApiErrorSerializer
from flowscope.api.filters import StrictFilterSet
from flowscope.api.schema import extend_schema
from flowscope.api.serializers.reports import (
    PerformanceReportRequest,
    PeriodSerializer,
    ReportListSerializer,
    ReportSerializer,
    WorkflowReportRequest,
)
from flowscope.api.views.workflows import workflow_or_404
from flowscope.models import Report
from flowscope.reports import exporters, generate

# What an export's file holds, by format: a JSON object, a PDF's bytes, else text.
EXPORT_BODIES = {"json": OpenApiTypes.OBJECT, "pdf": OpenApiTypes.BINARY}


class ReportFilter(StrictFilterSet):
    type = django_filters.ChoiceFilter(field_name="report_type", choices=Report.Type.choices)

    class Meta:
        model = Report
        fields = []


class ReportViewSet(
    DashboardAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Stored reports: generate one (workflow, system health, performance), list, read,
    delete, export."""

    queryset = Report.objects.select_related("generated_by")
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = ReportFilter

    def get_serializer_class(self):
        return ReportListSerializer if self.action == "list" else ReportSerializer

    def perform_content_negotiation(self, request, force=False):
        if self.action == "export":  # ?format= names the export, not a DRF renderer
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    def created(self, report):
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WorkflowReportRequest,
        responses={
            201: ReportSerializer,
            404: OpenApiResponse(ApiErrorSerializer, "No workflow of that correlation ID."),
        },
    )
    @action(detail=False, methods=["post"])
    def generate_workflow_report(self, request):
        data = self._valid(WorkflowReportRequest, request)
        session = workflow_or_404(data["correlation_id"])
        return self.created(generate.workflow_report(session, request.user))

    @extend_schema(request=PeriodSerializer, responses={201: ReportSerializer})
    @action(detail=False, methods=["post"])
    def generate_system_health_report(self, request):
        period = self._valid(PeriodSerializer, request)
        return self.created(
            generate.system_health_report(period["start"], period["end"], request.user)
        )

    @extend_schema(request=PerformanceReportRequest, responses={201: ReportSerializer})
    @action(detail=False, methods=["post"])
    def generate_performance_report(self, request):
        data = self._valid(PerformanceReportRequest, request)
        return self.created(
            generate.performance_report(
                data["start"], data["end"], data["routes"], data["layers"], request.user
            )
        )

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(exporters.FORMATS), default="json")],
        responses={
            (200, exporters.media_type(fmt)): EXPORT_BODIES.get(fmt, OpenApiTypes.STR)
            for fmt in exporters.FORMATS
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        fmt = request.query_params.get("format", "json")
        if fmt not in exporters.FORMATS:
            raise ValidationError({"format": [f"Use one of {', '.join(exporters.FORMATS)}."]})
        exported = exporters.export(generate.as_dict(self.get_object()), fmt)
        response = HttpResponse(
            exported.content, content_type=exported.content_type, headers=exported.headers
        )
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response

    @staticmethod
    def _valid(serializer_class, request):
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
