"""Flowscope's own API errors have one JSON shape, ``{"detail", "code"[, "errors"]}``,
whatever exception handler the host project configures for its own views."""

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


class ApiErrorSerializer(serializers.Serializer):
    """The error shape above, for the OpenAPI schema."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.JSONField(
        required=False, help_text="Invalid input only: what was wrong, by parameter or field."
    )
