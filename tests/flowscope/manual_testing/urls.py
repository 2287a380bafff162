"""A URLconf with what the shop lacks: a regex route and includes nested two deep."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from rest_framework.response import Response
from rest_framework.views import APIView


def legacy_item(request, version, item_id):
    return JsonResponse({"version": version, "item_id": int(item_id)})


class ThingView(APIView):
    def get(self, request, version, slug):
        return Response({"slug": slug})

    def put(self, request, version, slug):
        return Response({"slug": slug, "updated": True})


deep = [path("things/<slug:slug>/", ThingView.as_view(), name="thing")]
legacy = [
    re_path(r"^items/(?P<item_id>[0-9]+)/$", legacy_item, name="item"),
    path("deep/", include(deep)),
]

urlpatterns = [
    re_path(r"^legacy/(?P<version>v[0-9]+)/", include((legacy, "legacy"), namespace="legacy")),
    path("", include("ecommerce_project.urls")),
]
