"""Test runs, stored scrubbed, and run again.

A run's request is kept the way the scrubber leaves it, so a secret it sent (a password
parameter, an ``Authorization`` header) was never stored and cannot be replayed. A re-run
takes the stored request with the caller's overrides on top, and refuses — naming each
field — while a masked value is left that no override replaces: replaying ``[Filtered]``
as a password would fail for a reason the test never meant to test.
"""

from flowscope.manual_testing import assertions
from flowscope.models import TestRun
from flowscope.records.scrubbing import FILTERED, FILTERED_CARD, scrub, scrub_headers, scrub_text

MASKS = (FILTERED, FILTERED_CARD)
MASKED = "Masked when the run was stored: send it again in the re-run's body."


def record(kind, request, result, user, duration_ms):
    """Store a finished run; ``result`` is scrubbed already by the run that made it."""
    return TestRun.objects.create(
        kind=kind,
        request=stored_request(kind, request),
        result=result,
        passed=result["passed"],
        correlation_id=result["correlation_id"],
        created_by=user if user.is_authenticated else None,
        duration_ms=duration_ms,
    )


def stored_request(kind, request):
    """The request of a run as it may be stored."""
    if kind == TestRun.Kind.WORKFLOW:
        return {"workflow": request["workflow"].name, "params": scrub(request.get("params", {}))}
    stored = {"method": request["method"], "path": scrub_text(request["path"])}
    if request.get("headers"):
        stored["headers"] = scrub_headers(request["headers"])
    for key in ("query", "payload"):
        if key in request:
            stored[key] = scrub(request[key])
    if request.get("assertions"):
        stored["assertions"] = [assertions.mask(item) for item in request["assertions"]]
    for key in ("expected_status", "timeout_ms"):
        if request.get(key) is not None:
            stored[key] = request[key]
    return stored


def rerun_request(test_run, overrides):
    """``(request, masked)``: the stored request with ``overrides`` on top, and the fields
    that still hold a masked value (the re-run is refused while there are any)."""
    request = dict(test_run.request)
    if test_run.kind == TestRun.Kind.WORKFLOW:
        request["params"] = {**request.get("params", {}), **overrides.get("params", {})}
    else:
        request["headers"] = _merged_headers(request.get("headers", {}), overrides)
        request["query"] = {**request.get("query", {}), **overrides.get("query", {})}
        request.update({k: overrides[k] for k in ("payload", "assertions") if k in overrides})
    return request, {field: [MASKED] for field in _masked_fields(request)}


def _merged_headers(stored, overrides):
    replaced = {name.lower() for name in overrides.get("headers", {})}
    kept = {name: value for name, value in stored.items() if name.lower() not in replaced}
    return {**kept, **overrides.get("headers", {})}


def _masked_fields(value, where=""):
    if isinstance(value, str):
        return [where] if any(mask in value for mask in MASKS) else []
    if not isinstance(value, dict | list):
        return []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    return [field for key, item in items for field in _masked_fields(item, _join(where, key))]


def _join(where, key):
    return f"{where}.{key}" if where else str(key)
