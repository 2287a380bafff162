"""The OpenAPI schema of flowscope's own endpoints (drf-spectacular): only them, each with
the error answers it can give, and the ingest key as a security scheme."""

from http import HTTPStatus

from django.urls import NoReverseMatch, reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema as spectacular_extend_schema

from flowscope.api.exceptions import ApiErrorSerializer


def only_flowscope_endpoints(endpoints, **kwargs):
    try:
        prefix = reverse("flowscope:health").removesuffix("health/")
    except NoReverseMatch:
        return endpoints
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(prefix)]


class FlowscopeAutoSchema(AutoSchema):
    """Adds to each operation the errors it can answer, in the API's error shape, so that
    views list their successes only. What an operation documents itself wins.

    Inferred from the operation: 400 when it reads a body or parameters, 401 and 403 when
    it needs credentials, 404 for a path parameter or a page, 406 (content negotiation),
    415 for a body, 429 when throttled. A subclass names in ``also`` the statuses its views
    answer beyond those (a class attribute: drf-spectacular makes schemas without
    arguments)."""

    also = ()

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in sorted(self.error_statuses(operation)):
            if str(status) not in responses:
                responses[str(status)] = {
                    "description": HTTPStatus(status).phrase,
                    "content": self.error_content(),
                }
        return operation

    def _get_filter_parameters(self):
        """A strict filter set's text parameters may not be blank (``StrictQueryForm``)."""
        parameters = super()._get_filter_parameters()
        filterset = getattr(self.view, "filterset_class", None)
        strict = getattr(filterset, "refuses_blank", False)
        for parameter in parameters:
            schema = parameter.get("schema", {})
            named = strict and parameter["name"] in filterset.base_filters
            if named and schema.get("type") == "string" and "enum" not in schema:
                schema.setdefault("minLength", 1)
        return parameters

    def error_statuses(self, operation):
        parameters = operation.get("parameters", [])
        statuses = {406, *self.also}
        if "requestBody" in operation or any(map(can_be_invalid, parameters)):
            statuses.add(400)
        if "requestBody" in operation:
            statuses.add(415)
        if any(parameter["in"] == "path" for parameter in parameters) or self.is_paginated():
            statuses.add(404)
        security = operation.get("security", [])
        if security and {} not in security:
            statuses |= {401, 403}
        if self.view.get_throttles():
            statuses.add(429)
        return statuses

    def is_paginated(self):
        return self._is_list_view() and self._get_paginator() is not None

    def error_content(self):
        """``{media type: {"schema": ...}}`` of an error answer."""
        error = self.resolve_serializer(ApiErrorSerializer, "response")
        return {"application/json": {"schema": error.ref}}


def can_be_invalid(parameter):
    """Whether the view may find the parameter invalid: a path parameter that is a number
    is matched by the URL pattern, and any other value never reaches the view."""
    return parameter["in"] != "path" or parameter["schema"].get("type") != "integer"


class IngestKeyScheme(OpenApiAuthenticationExtension):
    """The ingest key: the ``X-Flowscope-Key`` header, or ``?key=`` where a header cannot be
    set (``navigator.sendBeacon``)."""

    target_class = "flowscope.ingest.access.IngestKeyAuthentication"
    name = ["ingestKey", "ingestKeyQuery"]

    def get_security_requirement(self, auto_schema):
        return [{"ingestKey": []}, {"ingestKeyQuery": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "X-Flowscope-Key"},
            {"type": "apiKey", "in": "query", "name": "key"},
        ]


def extend_schema(schema=FlowscopeAutoSchema, **kwargs):
    """drf-spectacular's ``extend_schema`` for a method of a view whose schema class is
    ``schema``. drf-spectacular builds a decorated method's schema on the host's
    ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``, DRF's own unless the host changed it, which
    cannot describe an operation for drf-spectacular: built on the view's class instead,
    flowscope's schema needs no setting in the host project."""

    def decorator(function):
        if "schema" not in getattr(function, "kwargs", {}):  # else an earlier annotation's
            function.schema = schema
        return spectacular_extend_schema(**kwargs)(function)

    return decorator
