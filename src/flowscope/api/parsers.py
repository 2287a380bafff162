"""JSON bodies within a nesting limit, for every flowscope endpoint that reads JSON.

Python parses and walks JSON recursively: a body nested a few thousand deep raises
``RecursionError`` (a 500) in the parser or in whatever walks the data next. The limit is
checked once, here, before any view sees the data; the ingest endpoints, which read their
bodies by hand, check it with the same ``nesting``.
"""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_NESTING = 32


class TooDeep(ParseError):
    default_detail = f"The JSON is nested deeper than {MAX_NESTING} levels."
    default_code = "too_deep"


def nesting(value):
    """Depth of nested lists and objects, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def loads(raw):
    """``json.loads`` within ``MAX_NESTING``; ``ParseError`` (a 400) naming what is wrong."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise TooDeep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"The body is not JSON: {exc}.") from None
    return within_limit(data)


def within_limit(data):
    if nesting(data) > MAX_NESTING:
        raise TooDeep()
    return data


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing JSON nested deeper than ``MAX_NESTING``."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise TooDeep() from None
        return within_limit(data)


# Bodies are JSON (any other media type is a 415), bounded.
PARSER_CLASSES = [BoundedJSONParser]
