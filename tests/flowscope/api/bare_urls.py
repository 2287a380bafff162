"""Flowscope's API mounted alone: no host catch-all under it, so what answers an unknown
path is flowscope's own."""

from django.urls import include, path

urlpatterns = [path("api/v1/debugging/", include("flowscope.urls"))]
