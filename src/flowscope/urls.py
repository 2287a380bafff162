"""Flowscope in one include: the dashboard page, its REST API, browser ingest and OTLP::

    path("debugging/", include("flowscope.urls")),

Mount it before any catch-all route of the project's, which would otherwise answer its
paths first. The page is at the mount itself, its login page at ``login/``, the API beside
it (``dashboard-data/``, ``workflows/``, ``health/``, ...), ingest at ``ingest/`` and OTLP at
``otlp/v1/traces``; any other path under it is flowscope's JSON 404. Flowscope finds the
mount in the URLconf (``flowscope.mount``): it never traces it, the page reads its API
there, and ``flowscope.asgi.with_flowscope`` serves the dashboard's sockets under it
(``ws/``).
"""

from django.urls import include, path, re_path

from flowscope.api.exceptions import not_found
from flowscope.dashboard.login import DashboardLoginView
from flowscope.dashboard.views import DashboardPageView
from flowscope.ingest.views import BrowserEventsView, OtlpTracesView

app_name = "flowscope"

urlpatterns = [
    path("", DashboardPageView.as_view(), name="page"),
    path("login/", DashboardLoginView.as_view(), name="login"),
    path("ingest/", BrowserEventsView.as_view(), name="ingest"),
    path("otlp/v1/traces", OtlpTracesView.as_view(), name="otlp-traces"),
    path("", include("flowscope.api.urls")),
    # Last: any other path under the mount, or an id that is no number, is a JSON 404.
    re_path(r"^.*$", not_found, name="not-found"),
]
