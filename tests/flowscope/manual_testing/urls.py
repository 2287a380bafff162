"""A URLconf with what the shop lacks: a regex route, includes nested two deep, a view
that says whether it serves a synthetic request, one that says whom and where from, and
one that waits to be let go."""

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

from django.http import JsonResponse
from django.urls import include, path, re_path
from rest_framework.response import Response
from rest_framework.views import APIView

import flowscope

HOLD_DEADLINE_SECONDS = 30
held = threading.Event()  # set while /hold/ is serving
let_go = threading.Event()  # set by the test to end /hold/


def legacy_item(request, version, item_id):
    return JsonResponse({"version": version, "item_id": int(item_id)})


class ThingView(APIView):
    def get(self, request, version, slug):
        return Response({"slug": slug})

    def put(self, request, version, slug):
        return Response({"slug": slug, "updated": True})


def synthetic(request):
    """``flowscope.is_synthetic()`` here, in a thread given a copy of this context, and in
    a thread that was not."""
    with ThreadPoolExecutor(1) as pool:
        copied = pool.submit(contextvars.copy_context().run, flowscope.is_synthetic).result()
        plain = pool.submit(flowscope.is_synthetic).result()
    return JsonResponse(
        {"here": flowscope.is_synthetic(), "copied_context": copied, "plain_thread": plain}
    )


def whoami(request):
    """Who the project sees: its user, the client's address as a proxy-aware project reads
    it, the host and scheme."""
    return JsonResponse(
        {
            "user": request.user.get_username() or None,
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "forwarded_for": request.META.get("HTTP_X_FORWARDED_FOR"),
            "host": request.get_host(),
            "secure": request.is_secure(),
        }
    )


def hold(request):
    held.set()
    released = let_go.wait(HOLD_DEADLINE_SECONDS)
    held.clear()
    return JsonResponse({"released": released})


deep = [path("things/<slug:slug>/", ThingView.as_view(), name="thing")]
legacy = [
    re_path(r"^items/(?P<item_id>[0-9]+)/$", legacy_item, name="item"),
    path("deep/", include(deep)),
]

urlpatterns = [
    re_path(r"^legacy/(?P<version>v[0-9]+)/", include((legacy, "legacy"), namespace="legacy")),
    path("synthetic/", synthetic),
    path("whoami/", whoami),
    path("hold/", hold),
    path("", include("ecommerce_project.urls")),
]
