"""Reports: generate (stored), list, read, delete, export.

Making and exporting a report take one of ``REPORTS_MAX_CONCURRENT`` slots of the process
(429 with ``Retry-After`` when none is free): over a long period each holds a server
thread for up to seconds, and many at once must not starve the host's own requests.
"""

from contextlib import contextmanager

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
from flowscope.api.throttling import ReportPoolFull
from flowscope.api.views.workflows import workflow_or_404
from flowscope.models import Report
from flowscope.reports import exporters, generate
from flowscope.slots import NoSlotFree, Slots

# What an export's file holds, by format: a JSON object, a PDF's bytes, else text.
EXPORT_BODIES = {"json": OpenApiTypes.OBJECT, "pdf": OpenApiTypes.BINARY}
POOL_FULL = {429: OpenApiResponse(ApiErrorSerializer, "REPORTS_MAX_CONCURRENT are in progress.")}
_slots = Slots("REPORTS_MAX_CONCURRENT")


@contextmanager
def report_slot():
    """The block runs in one of the process's report slots; a 429 if none is free."""
    try:
        semaphore = _slots.acquire()
    except NoSlotFree as exc:
        raise ReportPoolFull(exc.limit) from None
    try:
        yield
    finally:
        semaphore.release()


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
            **POOL_FULL,
        },
    )
    @action(detail=False, methods=["post"])
    def generate_workflow_report(self, request):
        data = self._valid(WorkflowReportRequest, request)
        session = workflow_or_404(data["correlation_id"])
        with report_slot():
            report = generate.workflow_report(session, request.user)
        return self.created(report)

    @extend_schema(request=PeriodSerializer, responses={201: ReportSerializer, **POOL_FULL})
    @action(detail=False, methods=["post"])
    def generate_system_health_report(self, request):
        period = self._valid(PeriodSerializer, request)
        with report_slot():
            report = generate.system_health_report(period["start"], period["end"], request.user)
        return self.created(report)

    @extend_schema(request=PerformanceReportRequest, responses={201: ReportSerializer, **POOL_FULL})
    @action(detail=False, methods=["post"])
    def generate_performance_report(self, request):
        data = self._valid(PerformanceReportRequest, request)
        with report_slot():
            report = generate.performance_report(
                data["start"], data["end"], data["routes"], data["layers"], request.user
            )
        return self.created(report)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(exporters.FORMATS), default="json")],
        responses={
            **{
                (200, exporters.media_type(fmt)): EXPORT_BODIES.get(fmt, OpenApiTypes.STR)
                for fmt in exporters.FORMATS
            },
            **POOL_FULL,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        fmt = request.query_params.get("format", "json")
        if fmt not in exporters.FORMATS:
            raise ValidationError({"format": [f"Use one of {', '.join(exporters.FORMATS)}."]})
        report = self.get_object()
        with report_slot():
            exported = exporters.export(generate.as_dict(report), fmt)
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
