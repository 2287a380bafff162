"""Flowscope's URLs. Mount them under ``api/v1/debugging/`` (``FLOWSCOPE["INTERNAL_PATHS"]``
must name where, so that flowscope never traces itself)::

    path("api/v1/debugging/", include("flowscope.urls")),
"""

from django.urls import include, path

from flowscope.ingest.views import BrowserEventsView, OtlpTracesView

app_name = "flowscope"

urlpatterns = [
    path("ingest/", BrowserEventsView.as_view(), name="ingest"),
    path("otlp/v1/traces", OtlpTracesView.as_view(), name="otlp-traces"),
    path("", include("flowscope.api.urls")),
]
