from django.urls import include, path

from tests.flowscope.checks.urlconfs import CATCH_ALL

urlpatterns = [
    path("tools/flowscope/api/", include("flowscope.urls")),
    path("tools/flowscope/", include("flowscope.dashboard.urls")),
    CATCH_ALL,
]
