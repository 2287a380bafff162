from django.http import JsonResponse
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import (
    SCHEMA_KWARGS,
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.routers import SimpleRouter

from flowscope import prerequisites
from flowscope.api.access import DashboardAccessMixin
from flowscope.api.schema import extend_schema
from flowscope.api.views import (
    alerts,
    budgets,
    config,
    dashboard,
    errors,
    funnel,
    health,
    invariants,
    journeys,
    manual_testing,
    performance,
    regression,
    releases,
    replay,
    reports,
    steps,
    workflows,
)
from flowscope.page_policy import content_security_policy

router = SimpleRouter()
router.register(
    "dashboard-config", config.DashboardConfigurationViewSet, basename="dashboard-config"
)
router.register("reports", reports.ReportViewSet, basename="report")
router.register("alerts", alerts.AlertEventViewSet, basename="alert")
router.register("manual-testing", manual_testing.ManualTestingViewSet, basename="manual-testing")
router.register("test-runs", manual_testing.TestRunViewSet, basename="test-run")

SCHEMA_SETTINGS = {
    "TITLE": "Flowscope API",
    "DESCRIPTION": "Workflow debugging: health, workflows, errors, performance, ingest.",
    "PREPROCESSING_HOOKS": ["flowscope.api.schema.only_flowscope_endpoints"],
    "COMPONENT_SPLIT_REQUEST": True,
}


class SchemaView(DashboardAccessMixin, SpectacularAPIView):
    """The OpenAPI schema of flowscope's API."""

    custom_settings = SCHEMA_SETTINGS
    content_negotiation_class = DefaultContentNegotiation  # ?format=json or yaml

    @extend_schema(**SCHEMA_KWARGS)  # drf-spectacular's own is built on the host's class
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SwaggerView(DashboardAccessMixin, SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar's static files: no CDN, works offline. Its
    set-up script is a request of its own (``?script``), so the page runs no inline code."""

    @staticmethod
    def _swagger_ui_resource(filename):
        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon():
        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        missing = prerequisites.api_docs()
        if missing is not None:  # its template would be missing: a 500
            return api_docs_off(missing, schema=request.path.removesuffix("docs/"))
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy(request, inline_styles=True)
        return response


def api_docs_off(missing, schema):
    return JsonResponse(
        {
            "detail": f"The API docs are off: {missing.what}. {missing.fix} The schema "
            f"itself is at {schema}.",
            "code": "not_configured",
        },
        status=503,
    )


urlpatterns = [
    path("dashboard-data/", dashboard.DashboardDataView.as_view(), name="dashboard-data"),
    path(
        "dashboard-data/realtime_updates/",
        dashboard.RealtimeUpdatesView.as_view(),
        name="realtime-updates",
    ),
    path("workflows/", workflows.WorkflowListView.as_view(), name="workflow-list"),
    path(
        "workflows/<str:correlation_id>/",
        workflows.WorkflowDetailView.as_view(),
        name="workflow-detail",
    ),
    path(
        "workflows/<str:correlation_id>/compare/",
        workflows.WorkflowCompareView.as_view(),
        name="workflow-compare",
    ),
    path("steps/<int:pk>/explain/", steps.ExplainView.as_view(), name="step-explain"),
    path(
        "workflows/<str:correlation_id>/replay/",
        replay.ReplayView.as_view(),
        name="workflow-replay",
    ),
    path(
        "workflows/<str:correlation_id>/replays/",
        replay.ReplayHistoryView.as_view(),
        name="workflow-replays",
    ),
    path(
        "workflows/<str:correlation_id>/replay-diff/",
        replay.ReplayDiffView.as_view(),
        name="workflow-replay-diff",
    ),
    path(
        "workflows/<str:correlation_id>/export-test/",
        regression.ExportTestView.as_view(),
        name="workflow-export-test",
    ),
    path("journeys/<str:journey_id>/", journeys.JourneyView.as_view(), name="journey-detail"),
    path("releases/", releases.ReleaseListView.as_view(), name="release-list"),
    path("releases/compare/", releases.ReleaseCompareView.as_view(), name="release-compare"),
    path("errors/", errors.ErrorListView.as_view(), name="error-list"),
    path("errors/<int:pk>/", errors.ErrorDetailView.as_view(), name="error-detail"),
    path("errors/<int:pk>/resolve/", errors.ErrorResolutionView.as_view(), name="error-resolve"),
    path("errors/<int:pk>/reopen/", errors.ErrorReopenView.as_view(), name="error-reopen"),
    path("invariants/", invariants.InvariantsView.as_view(), name="invariants"),
    path("budgets/", budgets.BudgetsView.as_view(), name="budgets"),
    path("funnel/", funnel.FunnelView.as_view(), name="funnel"),
    path("performance/", performance.PerformanceView.as_view(), name="performance"),
    path("health/", health.HealthView.as_view(), name="health"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("schema/docs/", SwaggerView.as_view(url_name="flowscope:schema"), name="schema-docs"),
    path("", include(router.urls)),
]
