"""Replay a captured workflow and diff the replay against it.

``GET workflows/<id>/replay/`` says what a replay would send and which masked values it
needs; ``POST`` runs it (as a manual test run: in-process, synthetic, rolled back, limited
by ``MANUAL_TESTING_RATE`` and ``MANUAL_TESTING_MAX_CONCURRENT``) under a new correlation
ID whose workflow names the original (``metadata.replay_of``).
``GET workflows/<id>/replays/`` lists the earlier replays of a workflow: when, by whom, how
each ended, and where its diff is read.
``GET workflows/<replay id>/replay-diff/`` is the replay against its original, step by
step (with ``?query=<SQL>``, whether the replay still runs that query: a recommendation's
"replay to confirm the fix"); the replay's requests are written a moment after they ran,
so a client asks until ``requests_stored`` reaches the ``sent`` the replay answered.
"""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response

from flowscope.analysis import diff, replays, workflows
from flowscope.api.access import DashboardAPIView
from flowscope.api.exceptions import ApiErrorSerializer
from flowscope.api.schema import extend_schema
from flowscope.api.serializers.test_runs import trace_url
from flowscope.api.throttling import ManualRunThrottle, ManualRunThrottledMixin, RunPoolFull
from flowscope.api.views.manual_testing import OutsideRequestTransactionMixin, chosen_correlation_id
from flowscope.api.views.workflows import CORRELATION_ID_PARAMETER, workflow_or_404
from flowscope.json_types import JsonTypesMixin
from flowscope.manual_testing import dispatch, replay
from flowscope.manual_testing.environ import Origin
from flowscope.records.scrubbing import scrub

MAX_QUERY_LENGTH = 10000  # as much SQL as a step's metadata keeps


class ReplayRequest(JsonTypesMixin, serializers.Serializer):
    """Values for what was masked when the workflow was stored, by field or header name;
    they win over ``REPLAY_VALUES``. ``correlation_id``: 32 lowercase hex digits, to watch
    the replay's trace build live (optional)."""

    values = serializers.DictField(child=serializers.JSONField(), required=False)
    correlation_id = serializers.CharField(required=False)


REPLAY_PLAN = inline_serializer(
    "ReplayPlan",
    {
        "original": serializers.CharField(),
        "workflow_type": serializers.CharField(),
        "requests": serializers.ListField(child=serializers.DictField()),
        "masked": serializers.ListField(child=serializers.DictField()),
    },
)
REPLAY_RESULT = inline_serializer(
    "ReplayResult",
    {
        "original": serializers.CharField(),
        "correlation_id": serializers.CharField(),
        "sent": serializers.IntegerField(),
        "requests": serializers.ListField(child=serializers.DictField()),
        "trace_url": serializers.URLField(),
    },
)
REPLAY_DIFF = inline_serializer(
    "ReplayDiff",
    {
        "original": serializers.CharField(),
        "replay": serializers.CharField(),
        "requests_stored": serializers.IntegerField(),
        "status": serializers.DictField(),
        "summary": serializers.DictField(),
        "steps": serializers.ListField(child=serializers.DictField()),
        "time_per_layer": serializers.DictField(),
        "browser_steps_left_out": serializers.IntegerField(),
        "query": serializers.DictField(allow_null=True),
    },
)


REPLAY_HISTORY = inline_serializer(
    "ReplayHistory",
    {
        "original": serializers.CharField(),
        "count": serializers.IntegerField(),
        "results": inline_serializer(
            "ReplayOfWorkflow",
            {
                "correlation_id": serializers.CharField(),
                "started_at": serializers.DateTimeField(),
                "replayed_by": serializers.CharField(),
                "status": serializers.CharField(),
                "request_count": serializers.IntegerField(),
                "error_count": serializers.IntegerField(),
                "duration_ms": serializers.FloatField(allow_null=True),
                "diff_url": serializers.URLField(),
            },
            many=True,
        ),
    },
)


class NoStoredRequests(APIException):
    status_code = 409
    default_code = "no_stored_requests"


def requests_or_409(steps, what="replay"):
    """The requests of a workflow's ``steps``; a 409 when none was stored."""
    requests = replay.requests_of(steps)
    if not requests:
        raise NoStoredRequests(
            f"This workflow has no stored requests to {what}.", code=f"nothing_to_{what}"
        )
    return requests


def _requests_of(workflow):
    return requests_or_409(workflows.steps_of(workflow))


class ReplayView(OutsideRequestTransactionMixin, ManualRunThrottledMixin, DashboardAPIView):
    """A captured workflow's requests, sent again in order as a manual test run."""

    def get_throttles(self):
        return [ManualRunThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        parameters=[CORRELATION_ID_PARAMETER],
        responses={200: REPLAY_PLAN, 409: OpenApiResponse(ApiErrorSerializer)},
    )
    def get(self, request, correlation_id):
        """What the replay sends (as stored, scrubbed) and the masked values it needs;
        ``configured``: ``REPLAY_VALUES`` supplies it."""
        workflow = workflow_or_404(correlation_id)
        requests = _requests_of(workflow)
        configured = replay.supplied_values({})
        masked = [
            {**field, "configured": field["name"] in configured}
            for field in replay.masked_fields(requests)
        ]
        return Response(
            {
                "original": workflow.correlation_id,
                "workflow_type": workflow.workflow_type,
                "requests": scrub(replay.describe(requests)),
                "masked": masked,
            }
        )

    @extend_schema(
        parameters=[CORRELATION_ID_PARAMETER],
        request=ReplayRequest,
        responses={
            200: REPLAY_RESULT,
            400: OpenApiResponse(ApiErrorSerializer),
            409: OpenApiResponse(ApiErrorSerializer),
        },
    )
    def post(self, request, correlation_id):
        workflow = workflow_or_404(correlation_id)
        serializer = ReplayRequest(data=request.data)
        serializer.is_valid(raise_exception=True)
        requests = _requests_of(workflow)
        values = replay.supplied_values(serializer.validated_data.get("values", {}))
        missing = replay.missing_values(requests, values)
        if missing:
            raise ValidationError({"values": missing})
        new_id = chosen_correlation_id(request.data)
        by = request.user.get_username() if request.user.is_authenticated else ""
        reports = self.perform_replay(workflow, requests, values, Origin.of(request), new_id, by)
        return Response(
            {
                "original": workflow.correlation_id,
                "correlation_id": new_id,
                "sent": sum(1 for r in reports if r["status_code"] is not None),
                "requests": reports,
                "trace_url": trace_url(request, new_id),
            }
        )

    @staticmethod
    def perform_replay(workflow, requests, values, origin, new_id, by=""):
        try:
            worker = dispatch.start_run(replay_of=workflow.correlation_id, replayed_by=by)
        except dispatch.PoolFull as exc:
            raise RunPoolFull(str(exc)) from None
        with worker:
            return replay.run(requests, values, origin, new_id, workflow.workflow_type, worker)


class ReplayDiffView(DashboardAPIView):
    """A replay against the workflow it replayed: steps added or gone, per step the
    queries added or removed and cache hits that became misses, status and answer shape,
    time per layer."""

    @extend_schema(
        parameters=[
            CORRELATION_ID_PARAMETER,
            OpenApiParameter(
                "query",
                str,
                description="A normalized SQL query (a recommendation's): whether the "
                "replay still runs it.",
            ),
        ],
        responses=REPLAY_DIFF,
    )
    def get(self, request, correlation_id):
        replayed = workflow_or_404(correlation_id)
        original_id = replayed.metadata.get("replay_of")
        if not original_id:
            raise NotFound(f"{correlation_id} is not a replay: it has no replay diff.")
        original = workflows.find(original_id)
        if original is None:
            raise NotFound(f"The replayed workflow {original_id} is no longer stored.")
        query = request.query_params.get("query")
        if query is not None and not 0 < len(query) <= MAX_QUERY_LENGTH:
            raise ValidationError({"query": [f"1 to {MAX_QUERY_LENGTH} characters of SQL."]})
        result = diff.diff(
            original, workflows.steps_of(original), replayed, workflows.steps_of(replayed), query
        )
        return Response({**result, "requests_stored": replayed.request_count})


class ReplayHistoryView(DashboardAPIView):
    """The earlier replays of a workflow, newest first (the latest 50): when, by whom, how
    each ended, and where its diff against this workflow is read."""

    @extend_schema(parameters=[CORRELATION_ID_PARAMETER], responses=REPLAY_HISTORY)
    def get(self, request, correlation_id):
        original = workflow_or_404(correlation_id)
        return Response(
            {
                "original": original.correlation_id,
                "count": replays.count(original),
                "results": [_replay_row(request, r) for r in replays.of(original)],
            }
        )


def _replay_row(request, replayed):
    path = reverse(
        "flowscope:workflow-replay-diff", kwargs={"correlation_id": replayed.correlation_id}
    )
    return {
        "correlation_id": replayed.correlation_id,
        "started_at": replayed.started_at,
        "replayed_by": replays.replayed_by(replayed),
        "status": replayed.status,
        "request_count": replayed.request_count,
        "error_count": replayed.error_count,
        "duration_ms": replayed.duration_ms,
        "diff_url": request.build_absolute_uri(path),
    }
