"""One stored step: ``steps/<id>/explain/``, the database's plan of a captured SELECT.

Staff only whatever the dashboard's permission classes allow (it runs on the host's
database), a POST (it asks the database something), throttled per user (``EXPLAIN_RATE``).
What runs and how it is kept read-only and short: ``flowscope.analysis.explain``.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response

from flowscope.analysis import explain
from flowscope.api.access import DashboardAPIView
from flowscope.api.schema import extend_schema
from flowscope.api.throttling import ExplainThrottle
from flowscope.conf import flowscope_settings
from flowscope.models import TraceStep


class ExplainRequest(serializers.Serializer):
    params = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        default=dict,
        help_text="Values of parameters stored masked or cut, by 1-based position (or name).",
    )

    def validate_params(self, value):
        for key, item in value.items():
            if item is not None and not isinstance(item, str | int | float | bool):
                raise ValidationError(f"Parameter {key}: a string, number, boolean or null.")
        return value


PLAN_CELL = serializers.JSONField(allow_null=True)
EXPLAIN_RESULT = inline_serializer(
    "ExplainResult",
    {
        "vendor": serializers.CharField(),
        "alias": serializers.CharField(),
        "statement": serializers.CharField(),
        "columns": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.ListField(child=serializers.ListField(child=PLAN_CELL)),
        "text": serializers.CharField(allow_null=True),
    },
)


class ExplainView(DashboardAPIView):
    """The plan of a stored SELECT step, on the database it ran on: never the query run."""

    throttle_classes = [ExplainThrottle]

    def get_permissions(self):
        return [*super().get_permissions(), IsAdminUser()]

    def throttled(self, request, wait):
        rate = flowscope_settings.EXPLAIN_RATE
        raise Throttled(wait, f"At most {rate} EXPLAINs a user (EXPLAIN_RATE).")

    @extend_schema(request=ExplainRequest, responses=EXPLAIN_RESULT)
    def post(self, request, pk):
        asked = ExplainRequest(data=request.data)
        asked.is_valid(raise_exception=True)
        step = get_object_or_404(TraceStep, pk=pk)
        try:
            plan = explain.explain(step, asked.validated_data["params"])
        except explain.Refused as refused:
            return Response({"detail": refused.reason, "code": refused.code}, status=400)
        return Response(plan)
