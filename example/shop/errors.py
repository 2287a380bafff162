"""Every error the API answers is JSON of one shape: ``{"detail", "code"[, "errors"]}``."""

from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shop.exceptions import ShopError


def exception_handler(exc, context):
    if isinstance(exc, ShopError):
        body = {"detail": str(exc), "code": exc.code, **exc.details}
        return Response(body, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": "Invalid input.", "code": "invalid", "errors": response.data}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", getattr(response.data["detail"], "code", "error"))
    return response


@csrf_exempt  # else an unsafe method is refused as a CSRF failure, in HTML
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer JSON, whatever DEBUG says and whatever the method."""
    return JsonResponse(
        {"detail": f"No API endpoint at {request.path}.", "code": "not_found"}, status=404
    )


def server_error(request):
    """A crash under /api/ answers JSON; elsewhere Django's own 500 page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Internal server error.", "code": "server_error"}, status=500
        )
    return defaults.server_error(request)
