import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from flowscope.analysis import compare, invariants, timing, workflows
from flowscope.api.access import DashboardAccessMixin, DashboardAPIView
from flowscope.api.filters import (
    ROUTE_LABEL,
    StrictFilterSet,
    UtcDateTimeFilter,
    duration_filter,
    requests_of_route,
)
from flowscope.api.schema import extend_schema
from flowscope.api.serializers.errors import ErrorSerializer
from flowscope.api.serializers.invariants import WorkflowInvariantsSerializer
from flowscope.models import ErrorLog, WorkflowSession
from flowscope.records.correlation import CORRELATION_ID
from flowscope.wire import StepSerializer, WorkflowSerializer

ANY_OBJECT = inline_serializer(
    "WorkflowAnalysis",
    {
        "workflow": WorkflowSerializer(),
        # The invariants it was checked against when it ended; null: not checked.
        "invariants": WorkflowInvariantsSerializer(allow_null=True),
    },
)
CORRELATION_ID_PATTERN = rf"^{CORRELATION_ID.pattern}$"
CORRELATION_ID_PARAMETER = OpenApiParameter(
    "correlation_id", str, OpenApiParameter.PATH, pattern=CORRELATION_ID_PATTERN
)

Kind = WorkflowSession.Kind
KINDS = [*Kind.choices, ("all", "All")]


class WorkflowFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(
        choices=KINDS,
        method="filter_kind",
        label="workflow (the default): workflows; request: requests outside any workflow "
        "(no correlation ID came with them, their route names no workflow type); all: both",
    )
    status = django_filters.ChoiceFilter(choices=WorkflowSession.Status.choices)
    type = django_filters.CharFilter(field_name="workflow_type")
    user = django_filters.CharFilter(field_name="user__username")
    journey = django_filters.CharFilter(field_name="journey_id", max_length=64)
    release = django_filters.CharFilter(max_length=64, label="the release that served it")
    started_after = UtcDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = UtcDateTimeFilter(field_name="started_at", lookup_expr="lt")
    min_duration_ms = duration_filter("duration_ms", "gte")
    max_duration_ms = duration_filter("duration_ms", "lte")
    has_errors = django_filters.BooleanFilter(method="filter_has_errors")
    synthetic = django_filters.BooleanFilter(
        method="filter_synthetic", label="run by hand from the dashboard (manual testing)"
    )
    route = django_filters.CharFilter(method="filter_route", max_length=500, label=ROUTE_LABEL)
    error_type = django_filters.CharFilter(
        method="filter_error_type", max_length=255, label="an error of the workflow"
    )
    q = django_filters.CharFilter(
        method="filter_search",
        max_length=150,
        label="a correlation ID prefix, or the start of a user name",
    )

    class Meta:
        model = WorkflowSession
        fields = []

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("kind"):
            queryset = queryset.filter(kind=Kind.WORKFLOW)
        return super().filter_queryset(queryset)

    def filter_kind(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(kind=value)

    def filter_has_errors(self, queryset, name, value):
        return queryset.filter(error_count__gt=0) if value else queryset.filter(error_count=0)

    def filter_synthetic(self, queryset, name, value):
        marked = Q(metadata__has_key="synthetic")
        return queryset.filter(marked) if value else queryset.exclude(marked)

    def filter_route(self, queryset, name, value):
        return queryset.filter(Exists(requests_of_route(value, OuterRef("pk"))))

    def filter_error_type(self, queryset, name, value):
        errors = ErrorLog.objects.filter(workflow=OuterRef("pk"), error_type=value)
        return queryset.filter(Exists(errors))

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(correlation_id__startswith=value) | Q(user__username__istartswith=value)
        )


class WorkflowListView(DashboardAccessMixin, ListAPIView):
    """Workflows, newest first (``?kind=request``: requests outside any workflow); filter,
    search by correlation ID prefix or user name (``q``), order."""

    serializer_class = WorkflowSerializer
    queryset = workflows.workflows()
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    filterset_class = WorkflowFilter
    ordering_fields = ["started_at", "duration_ms", "error_count", "step_count", "last_activity_at"]
    ordering = ["-started_at"]


def workflow_or_404(correlation_id):
    if not CORRELATION_ID.fullmatch(correlation_id):
        raise ValidationError({"correlation_id": ["1 to 64 of A-Z a-z 0-9 . _ : -"]})
    workflow = workflows.find(correlation_id)
    if workflow is None:
        raise NotFound("No WorkflowSession matches the given query.")
    return workflow


class WorkflowDetailView(DashboardAPIView):
    """One workflow: its steps as a tree, its errors, and where its time went."""

    @extend_schema(parameters=[CORRELATION_ID_PARAMETER], responses=ANY_OBJECT)
    def get(self, request, correlation_id):
        workflow = workflow_or_404(correlation_id)
        steps = workflows.steps_of(workflow)
        errors = workflows.errors_of(workflow)
        return Response(
            {
                "workflow": WorkflowSerializer(workflow).data,
                "steps": timing.step_tree(steps, lambda step: StepSerializer(step).data),
                "steps_truncated": workflows.steps_truncated(workflow, steps),
                "errors": ErrorSerializer(errors, many=True).data,
                "errors_truncated": workflows.errors_truncated(workflow, errors),
                "analysis": timing.analyze(steps),
                "invariants": _invariants(workflow),
            }
        )


def _invariants(workflow):
    check = invariants.of_workflow(workflow)
    return WorkflowInvariantsSerializer(check).data if check is not None else None


class WorkflowCompareView(DashboardAPIView):
    """This workflow against another: ``?with=<correlation id>`` or ``?with=last_success``
    (the last completed workflow of the same type)."""

    @extend_schema(
        parameters=[
            CORRELATION_ID_PARAMETER,
            OpenApiParameter(
                "with",
                str,
                required=True,
                pattern=rf"^(last_success|{CORRELATION_ID.pattern})$",
                description="A correlation ID, or last_success.",
            ),
        ],
        responses=inline_serializer("WorkflowComparison", {"subject": serializers.CharField()}),
    )
    def get(self, request, correlation_id):
        subject = workflow_or_404(correlation_id)
        baseline = self.baseline(subject, request.query_params.get("with", ""))
        return Response(
            compare.compare(
                subject,
                workflows.steps_of(subject),
                workflows.errors_of(subject),
                baseline,
                workflows.steps_of(baseline),
                workflows.errors_of(baseline),
            )
        )

    @staticmethod
    def baseline(subject, other):
        if not other:
            raise ValidationError({"with": ["A correlation ID or last_success is required."]})
        if other != "last_success":
            return workflow_or_404(other)
        baseline = workflows.last_success(subject)
        if baseline is None:
            raise NotFound(f"No completed {subject.workflow_type} workflow to compare with.")
        return baseline
