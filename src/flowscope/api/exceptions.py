"""Flowscope's own API errors have one JSON shape, ``{"detail", "code"[, "errors"]}``,
whatever exception handler the host project configures for its own views."""

from django.http import JsonResponse
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
    """Any other path under flowscope's API: a JSON 404 too, whatever the host's 404 page
    (an HTML page, or Django's debug page), for every method."""
    return JsonResponse(
        {"detail": f"No flowscope API endpoint at {request.path}.", "code": "not_found"},
        status=404,
    )


class ApiErrorSerializer(serializers.Serializer):
    """The error shape above, for the OpenAPI schema."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.JSONField(
        required=False, help_text="Invalid input only: what was wrong, by parameter or field."
    )
