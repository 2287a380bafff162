"""Flowscope's own API errors have one JSON shape, ``{"detail", "code"[, "errors"]}``,
whatever exception handler the host project configures for its own views."""

from django.conf import settings
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": "Invalid input.", "code": "invalid", "errors": response.data}
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", "error")}
    return response


class FlowscopeErrorsMixin:
    """For flowscope's API views: use ``exception_handler`` above."""

    def get_exception_handler(self):
        return exception_handler


@csrf_exempt  # it changes nothing: a POST is told 404, not refused with the CSRF page
def not_found(request, *args, **kwargs):
    """Any other path under flowscope's mount: a JSON 404 too, whatever the host's 404 page
    (an HTML page, or Django's debug page), for every method.

    This route matches every path, so Django's ``APPEND_SLASH`` never sees one under the
    mount: a GET of an endpoint without its slash is redirected here instead, and any other
    method is told where the endpoint is (Django would answer it with an error page)."""
    with_slash = _endpoint_with_slash(request)
    if with_slash and request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    detail = f"No flowscope API endpoint at {request.path}."
    if with_slash:
        detail += f" Did you mean {with_slash}?"
    return JsonResponse({"detail": detail, "code": "not_found"}, status=404)


def _endpoint_with_slash(request):
    """``request.path`` with a slash added, when that is an endpoint and APPEND_SLASH is on."""
    if not settings.APPEND_SLASH or request.path_info.endswith("/"):
        return None
    try:
        match = resolve(f"{request.path_info}/", getattr(request, "urlconf", None))
    except Resolver404:
        return None
    return None if match.func is not_found else f"{request.path}/"


class ApiErrorSerializer(serializers.Serializer):
    """The error shape above, for the OpenAPI schema."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.JSONField(
        required=False, help_text="Invalid input only: what was wrong, by parameter or field."
    )
