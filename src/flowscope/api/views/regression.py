"""``GET workflows/<id>/export-test/``: a captured workflow as a regression test for the
host's own suite (``regression.export``), downloaded as a Python file."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.renderers import JSONRenderer

from flowscope.analysis import workflows
from flowscope.api.access import DashboardAPIView
from flowscope.api.exceptions import ApiErrorSerializer
from flowscope.api.schema import extend_schema
from flowscope.api.views.replay import requests_or_409
from flowscope.api.views.workflows import CORRELATION_ID_PARAMETER, workflow_or_404
from flowscope.regression import export


class ExportTestView(DashboardAPIView):
    """The workflow's requests as a Django test: statuses, answer shapes and query counts
    asserted request by request; masked values left for the user to fill in."""

    def perform_content_negotiation(self, request, force=False):
        # The answer is a file, not a DRF rendering; errors are JSON whatever was asked.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        parameters=[CORRELATION_ID_PARAMETER],
        responses={
            (200, export.ExportedTest.content_type): OpenApiTypes.STR,
            404: OpenApiResponse(ApiErrorSerializer, "No workflow of that correlation ID."),
            409: OpenApiResponse(ApiErrorSerializer, "The workflow has no stored requests."),
        },
    )
    def get(self, request, correlation_id):
        workflow = workflow_or_404(correlation_id)
        steps = workflows.steps_of(workflow)
        requests_or_409(steps, "export")
        exported = export.export(workflow, steps)
        response = HttpResponse(exported.source, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
