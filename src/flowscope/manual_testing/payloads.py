"""The body a test sends: text as given, anything else as JSON (or a form, if it says so)."""

import json
from urllib.parse import urlencode

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
TEXT = "text/plain; charset=utf-8"


def content_type_of(headers):
    """The test's own Content-Type header, whatever its spelling, or ""."""
    return next((value for name, value in headers.items() if name.lower() == "content-type"), "")


def encode(payload, content_type=""):
    """``(body, content_type)`` for a payload; ``None`` sends no body at all.

    A string is sent as it is (text unless the test names a type); a dict sent with a form
    Content-Type is form-encoded; anything else is JSON.
    """
    if payload is None:
        return b"", content_type
    if isinstance(payload, str):
        return payload.encode(), content_type or TEXT
    if isinstance(payload, dict) and content_type.split(";")[0].strip().lower() == FORM:
        return urlencode(payload, doseq=True).encode(), content_type
    return json.dumps(payload).encode(), content_type or JSON
