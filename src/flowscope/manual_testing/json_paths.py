"""A small path language into JSON documents, for assertions and workflow extractions.

``user.username``, ``results.0.id`` (or ``results[0].id``), ``items[-1].id`` (the last),
and ``items[product.id=17].id`` (the first element whose ``product.id`` is 17). A leading
``$`` or ``$.`` is allowed. Deliberately no more than that: these paths are written in
settings and dashboard forms, where a full JSONPath would be more to learn than to gain.
"""

import re

MISSING = object()

_SEGMENT = re.compile(
    r"\[(?P<field>[^\]=]+)=(?P<value>[^\]]*)\]"  # [product.id=17]
    r"|\[(?P<index>-?\d+)\]"  # [0], [-1]
    r"|(?P<key>[^.\[\]]+)"  # user, 0
)


def parse(path):
    """The path's segments; ``ValueError`` names what is wrong with it."""
    text = path.removeprefix("$").removeprefix(".")
    segments, position = [], 0
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if match is None:
            raise ValueError(f"Cannot read the JSON path {path!r} at {text[position:]!r}.")
        segments.append({name: value for name, value in match.groupdict().items() if value})
        position = match.end()
        if text.startswith(".", position) and position + 1 < len(text):
            position += 1
    return segments


def lookup(document, path):
    """The value at ``path`` in ``document``, or ``MISSING``."""
    value = document
    for segment in parse(path):
        value = _step(value, segment)
        if value is MISSING:
            break
    return value


def _step(value, segment):
    if "field" in segment:
        return _first_matching(value, segment["field"], segment.get("value", ""))
    key = segment.get("index", segment.get("key"))
    if isinstance(value, dict):
        return value.get(key, MISSING)
    if isinstance(value, list) and re.fullmatch(r"-?\d+", key):
        index = int(key)
        return value[index] if -len(value) <= index < len(value) else MISSING
    return MISSING


def _first_matching(value, field, expected):
    if not isinstance(value, list):
        return MISSING
    for item in value:
        found = lookup(item, field)
        if found is not MISSING and _as_text(found) == expected:
            return item
    return MISSING


def _as_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)
