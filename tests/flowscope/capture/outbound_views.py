"""Views that call an outside service with each HTTP library, as a host's code would: the
URL to call comes in ``?url=``, the client timeout in ``?timeout=``; ``?caller_headers=1``
sends a correlation ID and traceparent of the caller's own."""

import httpx
import requests
import urllib3
from django.http import JsonResponse
from django.urls import path

import flowscope

CALLER_HEADERS = {
    "X-Correlation-ID": "chosen-by-the-caller",
    "traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01",
}


def _params(request):
    headers = dict(CALLER_HEADERS) if request.GET.get("caller_headers") else None
    return request.GET["url"], float(request.GET.get("timeout", 10)), headers


def _sync_call(library, url, timeout, headers):
    if library == "requests":
        return requests.get(url, timeout=timeout, headers=headers).status_code
    if library == "httpx":
        return httpx.get(url, timeout=timeout, headers=headers).status_code
    return urllib3.request("GET", url, timeout=timeout, headers=headers).status


def call_view(request, library):
    url, timeout, headers = _params(request)
    with flowscope.step("fetch rates"):
        try:
            status = _sync_call(library, url, timeout, headers)
        except Exception as exc:  # the host's code copes: the step says what happened
            return JsonResponse({"error": type(exc).__name__}, status=502)
    return JsonResponse({"status": status})


async def async_call_view(request):
    url, timeout, headers = _params(request)
    with flowscope.step("fetch rates"):
        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                response = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            return JsonResponse({"error": type(exc).__name__}, status=502)
    return JsonResponse({"status": response.status_code})


def unhandled_call_view(request):
    with flowscope.step("fetch rates"):
        requests.get(request.GET["url"], timeout=10)  # a refused connection: a 500
    return JsonResponse({})


def downstream_view(request, pk):
    return JsonResponse({"pk": pk})


urlpatterns = [
    path("call/httpx-async/", async_call_view),
    path("call/unhandled/", unhandled_call_view),
    path("call/<str:library>/", call_view),
    path("downstream/<int:pk>/", downstream_view),
]
