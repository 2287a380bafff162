"""A project that mounts flowscope under a prefix of its own and has a ``debugging/`` page
of its own, which is traced like any other."""

from django.urls import include, path

from tests.flowscope.capture.views import sync_view

urlpatterns = [
    path("ops/flowscope/", include("flowscope.urls")),
    path("debugging/<str:tag>/", sync_view),
    path("sync/<str:tag>/", sync_view),
]
