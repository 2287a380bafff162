"""The page alone, as earlier releases mounted it beside ``flowscope.urls``::

    path("debugging/", include("flowscope.dashboard.urls")),

Kept for those projects; ``flowscope.urls`` now serves the page at its mount, so one
include is all a project needs.
"""

from django.urls import path

from flowscope.dashboard.login import DashboardLoginView
from flowscope.dashboard.views import DashboardPageView

app_name = "flowscope_dashboard"

urlpatterns = [
    path("", DashboardPageView.as_view(), name="page"),
    path("login/", DashboardLoginView.as_view(), name="login"),
]
