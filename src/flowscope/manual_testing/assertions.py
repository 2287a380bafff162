"""Declarative checks of a tested response, each a small dict:

- ``{"type": "status", "equals": 201}``
- ``{"type": "json_path", "path": "user.username", "equals": "alice"}``, or with
  ``"exists": true|false``, or ``"contains": x`` (an element of a list, a key of an object,
  a substring of a string)
- ``{"type": "header", "name": "Content-Type", "equals": "..."}`` (or ``"contains"``;
  names in any case)
- ``{"type": "response_time", "under_ms": 500}``

A value read from a sensitive place (``token``, ``Set-Cookie``...) is reported masked.
"""

from flowscope.manual_testing import json_paths
from flowscope.records.scrubbing import FILTERED, is_sensitive_key, scrub

TYPES = ("status", "json_path", "header", "response_time")
# The keys each type needs, and the comparisons it allows (at least one of them).
REQUIRED = {"status": (), "json_path": ("path",), "header": ("name",), "response_time": ()}
COMPARISONS = {
    "status": ("equals",),
    "json_path": ("equals", "exists", "contains"),
    "header": ("equals", "contains"),
    "response_time": ("under_ms",),
}


def problems(assertion):
    """What is wrong with one assertion as written, for a 400."""
    kind = assertion.get("type")
    if kind not in TYPES:
        return [f"type is one of {', '.join(TYPES)}."]
    missing = [key for key in REQUIRED[kind] if not isinstance(assertion.get(key), str)]
    if missing:
        return [f"A {kind} assertion needs {', '.join(missing)} (text)."]
    if not any(key in assertion for key in COMPARISONS[kind]):
        return [f"A {kind} assertion needs one of {', '.join(COMPARISONS[kind])}."]
    if kind == "response_time" and not _is_number(assertion["under_ms"]):
        return ["under_ms is a number of milliseconds."]
    if kind == "json_path":
        try:
            json_paths.parse(assertion["path"])
        except ValueError as exc:
            return [str(exc)]
    return []


def evaluate(assertion, response, document):
    """``{"assertion", "passed", "actual"}`` for one assertion against a ``ManualResponse``
    and its parsed JSON body (``json_paths.MISSING`` when it is not JSON)."""
    actual, sensitive = _actual(assertion, response, document)
    passed = _compare(assertion, actual)
    if actual is json_paths.MISSING:
        actual = None
    return {
        "assertion": mask(assertion),
        "passed": passed,
        "actual": FILTERED if sensitive and actual is not None else scrub(actual),
    }


def mask(assertion):
    """The assertion as it may be stored: an expected secret is not kept."""
    if _is_sensitive(assertion):
        return {
            key: FILTERED if key in ("equals", "contains") else value
            for key, value in assertion.items()
        }
    return scrub(assertion)


def _is_sensitive(assertion):
    where = assertion.get("name") or str(assertion.get("path", "")).rsplit(".", 1)[-1]
    return bool(where) and is_sensitive_key(where)


def _actual(assertion, response, document):
    kind = assertion["type"]
    if kind == "status":
        return response.status_code, False
    if kind == "response_time":
        return round(response.elapsed_ms, 1), False
    if kind == "header":
        headers = {name.lower(): value for name, value in response.headers.items()}
        return headers.get(assertion["name"].lower(), json_paths.MISSING), _is_sensitive(assertion)
    found = json_paths.lookup(document, assertion["path"])
    return found, _is_sensitive(assertion)


def _compare(assertion, actual):
    present = actual is not json_paths.MISSING
    if "exists" in assertion:
        return present == bool(assertion["exists"])
    if not present:
        return False
    if "under_ms" in assertion:
        return actual < assertion["under_ms"]
    if "equals" in assertion:
        return actual == assertion["equals"]
    return _contains(actual, assertion["contains"])


def _contains(container, item):
    if isinstance(container, str | dict):
        return isinstance(item, str) and item in container
    return isinstance(container, list) and item in container


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)
