"""How a report's values read as text in the human formats (Markdown, HTML, PDF).

The machine formats (JSON, CSV) keep values as they are; the human ones need one
spelling for numbers, booleans and missing values, so the same report reads the same
in each of them.
"""

import json
import re
from datetime import datetime

# Control characters (but tab and newline) show as U+FFFD: invisible or refused by the
# renderers, they are still a sign that something odd was captured.
_CONTROLS = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)], "\ufffd"
)

# A status word gets a colour wherever it appears as a whole cell: reports of every type
# spell their statuses and severities with these words.
TONES = {
    "good": {"ok", "success", "succeeded", "completed", "healthy", "hit", "passed"},
    "warn": {"warning", "warn", "degraded", "in_progress", "pending", "partial"},
    "bad": {"error", "failed", "failure", "critical", "unhealthy", "down", "timed_out"},
}
# An ISO 8601 timestamp as the report builders write them (``datetime.isoformat()``).
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")


def is_number(value):
    """Ints and floats, but not bools (which Python counts as ints)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def text(value):
    """The display text of a cell. Floats keep at most three decimals and never switch
    to exponent notation, so durations line up and read as milliseconds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        spelled = f"{value:.3f}".rstrip("0").rstrip(".")
        return "0" if spelled == "-0" else spelled
    if isinstance(value, list | tuple):
        return ", ".join(text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        return when(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)


def tone(value):
    """``good``, ``warn`` or ``bad`` for a status word, else ``None``."""
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    return next((name for name, words in TONES.items() if word in words), None)


def when(value):
    """``2026-11-26T08:57:12.892+00:00`` as ``2026-11-26 08:57:12.892 UTC``: readable, and
    to the millisecond, which is what debugging a sequence of requests needs."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.microsecond:
        stamp += f".{moment.microsecond // 1000:03d}"
    offset = moment.utcoffset()
    if offset is None:
        return stamp
    return f"{stamp} {moment.strftime('%z') if offset else 'UTC'}"


def split_indent(value):
    """``(leading spaces, rest)``: the step tree indents children with spaces, which
    every human format has to turn into something its renderer does not collapse."""
    rest = value.lstrip(" ")
    return len(value) - len(rest), rest
