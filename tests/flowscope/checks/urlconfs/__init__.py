"""URLconfs as hosts write them, for the mount checks."""

from django.http import HttpResponse
from django.urls import include, path, re_path


def single_page_app(request, anything=""):
    return HttpResponse("the host's own page")


FLOWSCOPE = [
    path("api/v1/debugging/", include("flowscope.urls")),
    path("debugging/", include("flowscope.dashboard.urls")),
]
CATCH_ALL = re_path(r"^(?P<anything>.*)$", single_page_app)
