"""``{name}`` placeholders in workflow steps, filled from parameters and extracted values.

A string that is one placeholder and nothing else takes the value as it is (``"{quantity}"``
stays a number in a JSON body); elsewhere the value is written into the text, URL-quoted in
paths so that a value can never add a segment, a query or a ``..``. Only ``{name}`` is
recognised (no attribute access or format specs, unlike ``str.format``).
"""

import re
from urllib.parse import quote

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class MissingValue(KeyError):
    """A placeholder names neither a parameter nor a value extracted so far."""

    def __str__(self):
        return f"No value for {{{self.args[0]}}}: not a parameter, nor extracted by a step before."


def render(template, values):
    """``template`` (a string, or lists and dicts of them) with its placeholders filled."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return _value(values, whole[1])
        return _PLACEHOLDER.sub(lambda match: _text(_value(values, match[1])), template)
    if isinstance(template, dict):
        return {key: render(item, values) for key, item in template.items()}
    if isinstance(template, list):
        return [render(item, values) for item in template]
    return template


def render_path(template, values):
    """A path template with every value URL-quoted (``/`` included)."""
    return _PLACEHOLDER.sub(lambda match: quote(_text(_value(values, match[1])), safe=""), template)


def names_in(template):
    """The placeholder names a template (string, list or dict) uses."""
    if isinstance(template, str):
        return set(_PLACEHOLDER.findall(template))
    items = template.values() if isinstance(template, dict) else template
    if isinstance(template, dict | list):
        return set().union(*(names_in(item) for item in items))
    return set()


def _value(values, name):
    if name not in values:
        raise MissingValue(name)
    return values[name]


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
