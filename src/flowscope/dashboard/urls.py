"""Mount under ``debugging/`` (listed in ``FLOWSCOPE["INTERNAL_PATHS"]``, so never traced)::

path("debugging/", include("flowscope.dashboard.urls")),
"""

from django.urls import path

from flowscope.dashboard.views import DashboardPageView

app_name = "flowscope_dashboard"

urlpatterns = [
    path("", DashboardPageView.as_view(), name="page"),
]
