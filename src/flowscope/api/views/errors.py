import django_filters
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response

from flowscope.analysis import error_groups, errors
from flowscope.api.access import DashboardAccessMixin, DashboardAPIView
from flowscope.api.filters import (
    ROUTE_LABEL,
    StrictFilterSet,
    UtcDateTimeFilter,
    duration_filter,
    query_boolean,
    requests_of_route,
)
from flowscope.api.schema import FlowscopeAutoSchema, extend_schema
from flowscope.api.serializers.errors import ErrorGroupSerializer, ErrorSerializer
from flowscope.models import ErrorLog, Layer, Severity, WorkflowSession
from flowscope.wire import WorkflowSerializer


class ErrorFilter(StrictFilterSet):
    layer = django_filters.ChoiceFilter(choices=Layer.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    resolved = django_filters.BooleanFilter()
    since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    fingerprint = django_filters.CharFilter(max_length=64)
    error_type = django_filters.CharFilter(max_length=255)
    type = django_filters.CharFilter(field_name="workflow__workflow_type", label="workflow type")
    status = django_filters.ChoiceFilter(
        field_name="workflow__status",
        choices=WorkflowSession.Status.choices,
        label="the status of the error's workflow",
    )
    user = django_filters.CharFilter(field_name="workflow__user__username")
    route = django_filters.CharFilter(method="filter_route", max_length=500, label=ROUTE_LABEL)
    min_duration_ms = duration_filter("workflow__duration_ms", "gte")
    max_duration_ms = duration_filter("workflow__duration_ms", "lte")
    q = django_filters.CharFilter(
        method="filter_search", max_length=200, label="words of the error type or message"
    )

    class Meta:
        model = ErrorLog
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(error_type__icontains=value) | Q(message__icontains=value))

    def filter_route(self, queryset, name, value):
        return queryset.filter(Exists(requests_of_route(value, OuterRef("workflow_id"))))


class ErrorListSchema(FlowscopeAutoSchema):
    """A page of groups, or with ``?group=false`` a page of occurrences."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        content = operation["responses"]["200"]["content"]["application/json"]
        occurrences = self._get_response_for_code(ErrorSerializer(many=True), "200")
        content["schema"] = {
            # anyOf: an empty page is both
            "anyOf": [content["schema"], occurrences["content"]["application/json"]["schema"]]
        }
        return operation


class ErrorListView(DashboardAccessMixin, ListAPIView):
    """Errors grouped by fingerprint (``?group=false``: every occurrence), newest first."""

    schema = ErrorListSchema()
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = ErrorFilter
    queryset = errors.occurrences()

    def grouping(self):
        return query_boolean(self.request, "group", default=True)

    def get_serializer_class(self):
        return ErrorGroupSerializer if self.grouping() else ErrorSerializer

    @extend_schema(ErrorListSchema, parameters=[OpenApiParameter("group", bool)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        found = self.filter_queryset(self.get_queryset())
        if not self.grouping():
            page = self.paginate_queryset(found)
            return self.get_paginated_response(ErrorSerializer(page, many=True).data)
        page = self.paginate_queryset(error_groups.grouped(found.order_by()))
        groups = error_groups.describe(page)
        return self.get_paginated_response(ErrorGroupSerializer(groups, many=True).data)


class ErrorDetailView(DashboardAccessMixin, RetrieveAPIView):
    """One occurrence, with the workflow and step it came from."""

    serializer_class = ErrorSerializer
    queryset = errors.with_context()

    def retrieve(self, request, *args, **kwargs):
        error = self.get_object()
        data = ErrorSerializer(error).data
        data["workflow"] = WorkflowSerializer(error.workflow).data if error.workflow else None
        data["occurrences"] = errors.of_fingerprint(error.fingerprint).count()
        return Response(data)


class ErrorResolutionView(DashboardAPIView):
    """Resolve (or reopen) an error's whole group: every occurrence of its fingerprint."""

    resolved = True

    @extend_schema(request=None, responses=ErrorGroupSerializer)
    def post(self, request, pk):
        error = get_object_or_404(errors.occurrences(), pk=pk)
        return Response(
            ErrorGroupSerializer(errors.mark_group(error.fingerprint, self.resolved)).data
        )


class ErrorReopenView(ErrorResolutionView):
    resolved = False
