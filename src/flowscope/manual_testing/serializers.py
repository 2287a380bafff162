"""What the manual-testing endpoints accept; every refusal names its field (a 400)."""

from rest_framework import serializers

from flowscope.conf import flowscope_settings
from flowscope.json_types import JsonTypesMixin
from flowscope.manual_testing import assertions, definitions, safety
from flowscope.manual_testing.endpoint_test import manual_request_for

MAX_ASSERTIONS = 50
MAX_QUERY_PARAMS = 100


class EndpointTestRequest(JsonTypesMixin, serializers.Serializer):
    method = serializers.CharField(max_length=10, help_text=", ".join(safety.METHODS))
    path = serializers.CharField(
        max_length=safety.MAX_PATH_LENGTH,
        trim_whitespace=False,
        help_text="A path of this project, e.g. /api/v1/products/?search=lamp",
    )
    headers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False), required=False
    )
    query = serializers.DictField(child=serializers.JSONField(), required=False)
    payload = serializers.JSONField(required=False, allow_null=True)
    expected_status = serializers.IntegerField(
        min_value=100, max_value=599, required=False, allow_null=True
    )
    assertions = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        max_length=MAX_ASSERTIONS,
        help_text='e.g. {"type": "status", "equals": 201}, {"type": "json_path", "path": '
        '"results.0.id", "exists": true}, {"type": "header", "name": "Content-Type", '
        '"contains": "json"}, {"type": "response_time", "under_ms": 500}',
    )
    timeout_ms = serializers.IntegerField(min_value=1, required=False)

    def validate_method(self, method):
        if method.upper() not in safety.METHODS:
            raise serializers.ValidationError(f"Use one of {', '.join(safety.METHODS)}.")
        return method.upper()

    def validate_path(self, path):
        return _valid(path, safety.target_problems(path))

    def validate_headers(self, headers):
        return _valid(headers, safety.header_problems(headers))

    def validate_query(self, query):
        if len(query) > MAX_QUERY_PARAMS or not all(map(_is_query_value, query.values())):
            raise serializers.ValidationError(
                f"At most {MAX_QUERY_PARAMS} parameters, each a value or a list of values."
            )
        return query

    def validate_assertions(self, items):
        problems = [f"#{i + 1}: {p}" for i, a in enumerate(items) for p in assertions.problems(a)]
        return _valid(items, problems)

    def validate_timeout_ms(self, timeout_ms):
        limit = flowscope_settings.MANUAL_TESTING_TIMEOUT_MS
        if timeout_ms > limit:
            raise serializers.ValidationError(f"At most {limit} (MANUAL_TESTING_TIMEOUT_MS).")
        return timeout_ms

    def validate(self, data):
        limit = flowscope_settings.MANUAL_TESTING_MAX_PAYLOAD_BYTES
        if len(manual_request_for(data).body) > limit:
            raise serializers.ValidationError({"payload": [f"At most {limit} bytes."]})
        return data


CHOSEN_CORRELATION_ID = serializers.RegexField(
    r"\A[0-9a-f]{32}\Z",
    required=False,
    help_text="Optional: run under this new ID, to watch ws/debugging/workflow/<id>/ live.",
)


class WorkflowTestRequest(JsonTypesMixin, serializers.Serializer):
    workflow = serializers.CharField(max_length=64)
    correlation_id = CHOSEN_CORRELATION_ID
    params = serializers.DictField(child=serializers.JSONField(), required=False)

    def validate_workflow(self, name):
        configured = definitions.all_workflows()
        if name not in configured:
            known = ", ".join(sorted(configured)) or "none"
            raise serializers.ValidationError(f"No workflow {name!r}; configured: {known}.")
        return configured[name]

    def validate(self, data):
        workflow, params = data["workflow"], data.get("params") or {}
        unknown = sorted(set(params) - set(workflow.params))
        if unknown:
            takes = ", ".join(sorted(workflow.params)) or "none"
            raise serializers.ValidationError(
                {"params": [f"Unknown: {', '.join(unknown)}; {workflow.name} takes {takes}."]}
            )
        return {"workflow": workflow, "params": params}


def _is_query_value(value):
    scalar = (str, int, float, bool)
    return isinstance(value, scalar) or (
        isinstance(value, list) and all(isinstance(item, scalar) for item in value)
    )


def _valid(value, problems):
    if problems:
        raise serializers.ValidationError(problems)
    return value
