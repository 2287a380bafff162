"""Manual API testing: one endpoint, a whole workflow, the project's endpoints; and the
history of runs (``test-runs/``), each linked to its trace and runnable again.

Every tested request is dispatched in-process and traced like real traffic, under a
correlation ID of its own run, and what it writes is rolled back when the run ends (see
``flowscope.manual_testing``). Runs are limited per user (``MANUAL_TESTING_RATE``) and per
process (``MANUAL_TESTING_MAX_CONCURRENT``), both answered 429 with ``Retry-After``.
"""

import time

import django_filters
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from flowscope.analysis import workflows
from flowscope.api.access import DashboardAccessMixin
from flowscope.api.exceptions import ApiErrorSerializer
from flowscope.api.filters import StrictFilterSet, query_boolean
from flowscope.api.schema import extend_schema
from flowscope.api.serializers.test_runs import (
    RerunRequest,
    TestRunListSerializer,
    TestRunSerializer,
    trace_url,
)
from flowscope.api.throttling import ManualRunThrottle, ManualRunThrottledMixin, RunPoolFull
from flowscope.manual_testing import (
    definitions,
    discovery,
    dispatch,
    endpoint_test,
    history,
    workflow_run,
)
from flowscope.manual_testing.environ import Origin
from flowscope.manual_testing.serializers import EndpointTestRequest, WorkflowTestRequest
from flowscope.models import TestRun
from flowscope.records.correlation import HEX_TRACE_ID, new_correlation_id
from flowscope.records.scrubbing import scrub

RUN_FIELDS = {
    "passed": serializers.BooleanField(),
    "correlation_id": serializers.CharField(),
    "test_run_id": serializers.IntegerField(),
    "trace_url": serializers.URLField(),
}
ENDPOINT_RESULT = inline_serializer(
    "EndpointTestResult",
    {
        **RUN_FIELDS,
        "status_code": serializers.IntegerField(allow_null=True),
        "expected_status": serializers.IntegerField(allow_null=True),
        "response_time_ms": serializers.FloatField(),
        "response_headers": serializers.DictField(child=serializers.CharField()),
        "response_body": serializers.JSONField(),
        "response_truncated": serializers.BooleanField(),
        "response_size": serializers.IntegerField(),
        "assertion_results": serializers.ListField(child=serializers.DictField()),
        "error": serializers.CharField(required=False),
    },
)
WORKFLOW_RESULT = inline_serializer(
    "WorkflowTestResult",
    {
        **RUN_FIELDS,
        "workflow": serializers.CharField(),
        "total_time_ms": serializers.FloatField(),
        "steps": serializers.ListField(child=serializers.DictField()),
    },
)
ANY_RESULT = inline_serializer("TestRunResult", RUN_FIELDS)


class WorkflowDefinitionsInvalid(APIException):
    status_code = 500
    default_code = "workflow_definitions_invalid"


DEFINITIONS_INVALID = {500: OpenApiResponse(ApiErrorSerializer, "WORKFLOW_DEFINITIONS is invalid.")}


def run_test(kind, request, data):
    """Validate ``data`` as a test of ``kind``, run it, store it; the result to answer."""
    spec = _validated(
        EndpointTestRequest if kind == TestRun.Kind.ENDPOINT else WorkflowTestRequest, data
    )
    correlation_id = chosen_correlation_id(data)
    origin = Origin.of(request)
    started = time.perf_counter()
    # A one-request run ends its workflow with its answer, whatever the status: it is not
    # left "in progress" until the timeout.
    with _started_run(single_request=kind == TestRun.Kind.ENDPOINT) as worker:
        if kind == TestRun.Kind.ENDPOINT:
            result = endpoint_test.run(spec, origin, correlation_id, worker)
        else:
            workflow, params = spec["workflow"], spec["params"]
            result = workflow_run.run(workflow, params, origin, correlation_id, worker)
    duration_ms = (time.perf_counter() - started) * 1000
    run = history.record(kind, spec, result, request.user, duration_ms)
    return {**result, "test_run_id": run.pk, "trace_url": trace_url(request, correlation_id)}


def _started_run(**marks):
    try:
        return dispatch.start_run(**{name: True for name, on in marks.items() if on})
    except dispatch.PoolFull as exc:
        raise RunPoolFull(str(exc)) from None


def chosen_correlation_id(data):
    """The run's correlation ID: new, or one the client chose (32 lowercase hex, unused) so
    that it can watch the trace build live on ws/debugging/workflow/<id>/ while it runs."""
    given = data.get("correlation_id") if isinstance(data, dict) else None
    if given is None:
        return new_correlation_id()
    if not isinstance(given, str) or not HEX_TRACE_ID.fullmatch(given):
        raise ValidationError({"correlation_id": ["32 lowercase hexadecimal digits."]})
    if workflows.exists(given):
        raise ValidationError({"correlation_id": ["Already used by a workflow; choose anew."]})
    return given


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    try:
        serializer.is_valid(raise_exception=True)
    except ImproperlyConfigured as exc:  # the project's WORKFLOW_DEFINITIONS
        raise WorkflowDefinitionsInvalid(str(exc)) from exc
    return serializer.validated_data


class OutsideRequestTransactionMixin:
    """Never inside ``ATOMIC_REQUESTS``' transaction: the tested requests write on
    connections of their own, and on SQLite that transaction would hold the write lock
    they wait for."""

    @classmethod
    def as_view(cls, *args, **kwargs):
        return transaction.non_atomic_requests(super().as_view(*args, **kwargs))


class ManualTestingViewSet(
    OutsideRequestTransactionMixin, ManualRunThrottledMixin, DashboardAccessMixin, viewsets.ViewSet
):
    """Try the project's API from the dashboard, traced like real traffic."""

    @extend_schema(request=EndpointTestRequest, responses=ENDPOINT_RESULT)
    @action(detail=False, methods=["post"], throttle_classes=[ManualRunThrottle])
    def test_endpoint(self, request):
        return Response(run_test(TestRun.Kind.ENDPOINT, request, request.data))

    @extend_schema(
        request=WorkflowTestRequest, responses={200: WORKFLOW_RESULT, **DEFINITIONS_INVALID}
    )
    @action(detail=False, methods=["post"], throttle_classes=[ManualRunThrottle])
    def test_workflow(self, request):
        return Response(run_test(TestRun.Kind.WORKFLOW, request, request.data))

    @extend_schema(
        parameters=[OpenApiParameter("include_internal", bool)],
        responses=inline_serializer(
            "AvailableEndpoints",
            {"count": serializers.IntegerField(), "results": serializers.ListField()},
        ),
    )
    @action(detail=False, methods=["get"])
    def available_endpoints(self, request):
        include = query_boolean(request, "include_internal", default=False)
        found = discovery.endpoints(include_internal=include)
        return Response({"count": len(found), "results": found})

    @extend_schema(
        responses={
            200: inline_serializer("WorkflowDefinitions", {"results": serializers.ListField()}),
            **DEFINITIONS_INVALID,
        }
    )
    @action(detail=False, methods=["get"])
    def workflows(self, request):
        """The workflows ``test_workflow`` can run, with their parameters' defaults."""
        try:
            configured = definitions.all_workflows().values()
        except ImproperlyConfigured as exc:
            raise WorkflowDefinitionsInvalid(str(exc)) from exc
        return Response({"results": [_definition(workflow) for workflow in configured]})


def _definition(workflow):
    return {
        "name": workflow.name,
        "description": workflow.description,
        "workflow_type": workflow.workflow_type,
        "params": scrub(workflow.params),
        "steps": [
            {"name": step.name, "method": step.method, "path": step.path} for step in workflow.steps
        ],
    }


class TestRunFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=TestRun.Kind.choices)
    passed = django_filters.BooleanFilter()
    correlation_id = django_filters.CharFilter(max_length=64)

    class Meta:
        model = TestRun
        fields = []


class TestRunViewSet(
    OutsideRequestTransactionMixin,
    ManualRunThrottledMixin,
    DashboardAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The history of manual test runs, newest first; any of them can be run again."""

    queryset = TestRun.objects.select_related("created_by")
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = TestRunFilter

    def get_serializer_class(self):
        return TestRunListSerializer if self.action == "list" else TestRunSerializer

    @extend_schema(request=RerunRequest, responses={200: ANY_RESULT, **DEFINITIONS_INVALID})
    @action(detail=True, methods=["post"], throttle_classes=[ManualRunThrottle])
    def rerun(self, request, pk=None):
        """Run the same test again (a new run, under a new correlation ID). Values masked
        when it was stored must be sent again: ``headers``, ``query``, ``payload``,
        ``assertions`` for an endpoint test, ``params`` for a workflow."""
        previous = self.get_object()
        overrides = _validated(RerunRequest, request.data)
        data, masked = history.rerun_request(previous, overrides)
        if masked:
            raise ValidationError(masked)
        return Response({**run_test(previous.kind, request, data), "rerun_of": previous.pk})
