"""A tested response's body as the dashboard shows and stores it: JSON when it is JSON,
else text, cut at ``MANUAL_TESTING_MAX_RESPONSE_BYTES`` (and saying so), and scrubbed.

What is shown is what is stored: the token a login answers with is masked in both, as in
every other capture. A test that needs the token uses a workflow, whose steps pass values
on in memory.
"""

import json

from flowscope.manual_testing.json_paths import MISSING
from flowscope.records.scrubbing import scrub, scrub_text

_TEXT_TYPES = ("", "application/xml", "application/javascript", "application/x-ndjson")


def kind_of(content_type):
    """``"json"``, ``"text"`` or ``"binary"``, from a Content-Type."""
    mime = content_type.partition(";")[0].strip().lower()
    if mime == "application/json" or mime.endswith("+json"):
        return "json"
    if mime.startswith("text/") or mime.endswith("+xml") or mime in _TEXT_TYPES:
        return "text"
    return "binary"


def parsed_json(response):
    """The body as JSON (unscrubbed, for assertions and extraction), else ``MISSING``."""
    if response.truncated or kind_of(response.content_type) != "json" or not response.body:
        return MISSING
    try:
        return json.loads(response.body)
    except (ValueError, RecursionError):
        return MISSING


def displayed(response, document):
    """The scrubbed body to show and store, given ``parsed_json(response)``."""
    if not response.body:
        return None
    if document is not MISSING:
        return scrub(document)
    if kind_of(response.content_type) == "binary":
        return f"[binary {response.body_size} bytes]"
    return scrub_text(response.body.decode("utf-8", errors="replace"))


def truncation(response):
    """What the result says about a cut body."""
    return {"response_truncated": response.truncated, "response_size": response.body_size}
