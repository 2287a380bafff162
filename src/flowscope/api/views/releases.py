"""Releases: those seen, and two compared per workflow type and step."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from flowscope.analysis import releases
from flowscope.api.access import DashboardAPIView
from flowscope.api.exceptions import ApiErrorSerializer
from flowscope.api.schema import extend_schema


class ReleaseSerializer(serializers.Serializer):
    release = serializers.CharField()
    first_seen = serializers.DateTimeField(help_text="when its first workflow started")
    last_seen = serializers.DateTimeField(help_text="when its latest workflow started")
    workflows = serializers.IntegerField()
    failed = serializers.IntegerField()


class ReleaseListSerializer(serializers.Serializer):
    results = ReleaseSerializer(many=True, help_text="latest first, by when first seen")


class FiguresSerializer(serializers.Serializer):
    p95_ms = serializers.FloatField(allow_null=True)
    queries_per_request = serializers.FloatField()
    error_rate = serializers.FloatField()


class TypeFiguresSerializer(FiguresSerializer):
    workflows = serializers.IntegerField()


class StepFiguresSerializer(FiguresSerializer):
    requests = serializers.IntegerField(help_text="requests of the sample")


class TypeRowSerializer(serializers.Serializer):
    workflow_type = serializers.CharField()
    base = TypeFiguresSerializer(allow_null=True)
    head = TypeFiguresSerializer(allow_null=True)


CHANGES = ["slower", "chattier", "failing more", "new", "gone"]


class StepRowSerializer(serializers.Serializer):
    workflow_type = serializers.CharField()
    step = serializers.CharField(help_text="the request's route, or the task")
    base = StepFiguresSerializer(allow_null=True)
    head = StepFiguresSerializer(allow_null=True)
    changes = serializers.ListField(child=serializers.ChoiceField(CHANGES))


class QuerySerializer(serializers.Serializer):
    sql = serializers.CharField(help_text="normalized SQL")
    new = serializers.BooleanField(help_text="the base release never ran it in this step")
    base_per_request = serializers.FloatField()
    head_per_request = serializers.FloatField()
    base_ms_per_request = serializers.FloatField()
    head_ms_per_request = serializers.FloatField()
    call_site = serializers.JSONField(allow_null=True, help_text="file, line, function, in_app")


class ChangeSerializer(StepRowSerializer):
    queries = QuerySerializer(many=True, help_text="the queries behind the change")


class SummarySerializer(serializers.Serializer):
    release = serializers.CharField()
    workflows = serializers.IntegerField()
    failed = serializers.IntegerField()


class ComparisonSerializer(serializers.Serializer):
    base = SummarySerializer()
    head = SummarySerializer()
    sample_size = serializers.IntegerField(
        help_text="p95 and per-step figures: the most recent workflows of each release"
    )
    workflow_types = TypeRowSerializer(many=True)
    steps = StepRowSerializer(many=True)
    changes = ChangeSerializer(many=True, help_text="what got slower, chattier or fails more")


class ReleaseListView(DashboardAPIView):
    """The releases seen (the RELEASE setting tags each workflow), latest first."""

    @extend_schema(responses=ReleaseListSerializer)
    def get(self, request):
        return Response(ReleaseListSerializer({"results": releases.releases()}).data)


RELEASE_PARAMETER = "a release tag; default: the latest release ({}: the one before it)"


class ReleaseCompareView(DashboardAPIView):
    """Two releases compared: the base (before) against the head (after)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("base", str, description=RELEASE_PARAMETER.format("base")),
            OpenApiParameter("head", str, description=RELEASE_PARAMETER.format("head")),
        ],
        responses={
            200: ComparisonSerializer,
            404: OpenApiResponse(
                ApiErrorSerializer, "A release never seen, or fewer than two to compare."
            ),
        },
    )
    def get(self, request):
        base, head = request.query_params.get("base"), request.query_params.get("head")
        if not (base and head):
            base, head = self._default(base, head)
        for name, value in (("base", base), ("head", head)):
            if not releases.seen(value):  # a release is a resource: one never seen is a 404
                raise NotFound(f"{name}: no workflow of release {value!r} has been recorded.")
        return Response(ComparisonSerializer(releases.compare(base, head)).data)

    def _default(self, base, head):
        pair = releases.latest_pair()
        if pair is None:
            raise NotFound("Fewer than two releases have been seen: set RELEASE to compare.")
        return base or pair[0], head or pair[1]
