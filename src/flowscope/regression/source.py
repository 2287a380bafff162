"""Python source for generated tests, laid out as ``ruff format`` (and black) lay it out.

An expression is written on one line when it fits; otherwise each item of its outermost
brackets goes on a line of its own with a trailing comma (the "magic trailing comma" that
keeps the formatters from joining the lines again), and so on inwards.
"""

import json
import math
import re
from dataclasses import dataclass

WIDTH = 88  # ruff's and black's default line length
INDENT = "    "
TOO_LONG = "# noqa: E501"
# What may not stand in a comment as it is: line breaks and other control characters (a
# stored value could end the comment and start code), and lone surrogates (no UTF-8).
_NOT_IN_COMMENT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class Code:
    """Source text taken as it is: a name, a call written out already."""

    text: str


@dataclass(frozen=True)
class Call:
    """``name(args)``: ``args`` are expressions, or ``(keyword, expression)`` pairs."""

    name: str
    args: tuple


def one_line(text):
    """``text`` fit for one comment line: each line break or control character a space."""
    return _NOT_IN_COMMENT.sub(" ", str(text))


def string(text):
    """A string literal in the formatters' preferred quotes: double, unless that needs
    more escapes than single quotes would. A lone surrogate is written as an escape."""
    double = json.dumps(text, ensure_ascii=bool(_SURROGATE.search(text)))
    if '"' in text and "'" not in text:
        return "'" + double[1:-1].replace('\\"', '"') + "'"
    return double


def flat(value):
    """``value`` (JSON-like data, ``Code`` and ``Call``) on one line."""
    if isinstance(value, Code):
        return value.text
    if isinstance(value, str):
        return string(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'  # nan and inf are no Python literals
    if isinstance(value, int | float):
        return repr(value)
    opening, items, closing = _brackets(value)
    return opening + ", ".join(prefix + flat(item) for prefix, item in items) + closing


def lines(value, indent=0, prefix="", suffix=""):
    """``prefix``, ``value`` and ``suffix`` as lines of source at ``indent`` levels."""
    margin = INDENT * indent
    one_line = f"{margin}{prefix}{flat(value)}{suffix}"
    if len(one_line) <= WIDTH:
        return [one_line]
    if not _has_brackets(value):  # a long string: nothing to split it at
        return [f"{one_line}  {TOO_LONG}"]
    opening, items, closing = _brackets(value)
    if not items:
        return [one_line]
    body = [line for key, item in items for line in lines(item, indent + 1, key, ",")]
    return [f"{margin}{prefix}{opening}", *body, f"{margin}{closing}{suffix}"]


def _has_brackets(value):
    return isinstance(value, dict | list | Call)


def _brackets(value):
    """``(opening, [(prefix, item)], closing)`` of a bracketed expression."""
    if isinstance(value, Call):
        items = [_argument(arg) for arg in value.args]
        return f"{value.name}(", items, ")"
    if isinstance(value, dict):
        return "{", [(f"{flat(str(key))}: ", item) for key, item in value.items()], "}"
    return "[", [("", item) for item in value], "]"


def _argument(arg):
    return (f"{arg[0]}=", arg[1]) if isinstance(arg, tuple) else ("", arg)
