"""The latency budgets of ``FLOWSCOPE["BUDGETS"]`` with the budget used over a window."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from flowscope.analysis import budgets, windows
from flowscope.analysis.budget_settings import BudgetError
from flowscope.api.access import DashboardAPIView
from flowscope.api.filters import requested_window
from flowscope.api.schema import extend_schema
from flowscope.api.serializers.budgets import BudgetsSerializer


class BudgetsView(DashboardAPIView):
    """Each budgeted workflow type: the p95 of its total and of each layer against the
    budget, in ms and percent used, and what went over."""

    @extend_schema(
        parameters=[OpenApiParameter("window", str, enum=list(windows.WINDOWS))],
        responses=BudgetsSerializer,
    )
    def get(self, request):
        name, since, until = windows.window(requested_window(request))
        try:
            usages, error = budgets.budget_usage(since, until), None
        except BudgetError as exc:
            usages, error = [], f"BUDGETS: {exc}"
        answer = {
            "window": name,
            "budgets": usages,
            "over_budget": budgets.over_budget(usages),
            "configuration_error": error,
        }
        return Response(BudgetsSerializer(answer).data)
