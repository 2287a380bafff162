"""A project set up as earlier releases asked: the API under ``api/v1/debugging/``, the
page's own include under ``debugging/``."""

from django.urls import include, path

from tests.flowscope.capture.views import sync_view

urlpatterns = [
    path("api/v1/debugging/", include("flowscope.urls")),
    path("debugging/", include("flowscope.dashboard.urls")),
    path("sync/<str:tag>/", sync_view),
]
