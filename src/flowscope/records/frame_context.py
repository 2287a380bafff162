"""What a stored frame shows besides where it is: the source lines around its line and,
for the host's own frames, its local variables.

Capture takes a ``RawFrame`` (the file, the line and the locals as text, which vanish with
the frame); preparation, off the request path, reads the source lines (``linecache``) and
scrubs them and the locals into the stored frame. Its shape follows Sentry's:
``pre_context``, ``context_line`` and ``post_context`` beside the one-line ``code``, and
``locals`` (``more_locals``: how many were left out).
"""

import linecache

import msgspec

from flowscope.conf import flowscope_settings
from flowscope.records.frames import frame_dict
from flowscope.records.scrubbing import FILTERED, is_sensitive_key, scrub_text, text_head

MAX_LINE_LENGTH = 200


class RawFrame(msgspec.Struct, eq=False):
    """A frame as capture took it; ``locals`` is None where none were taken."""

    filename: str
    line: int
    function: str
    locals: dict | None = None
    more_locals: int = 0


def prepare_frames(error):
    """Turn the ``RawFrame`` entries of a ``CapturedError``'s stack into stored frames (in
    place); frames made ready elsewhere (a browser's, another service's) are kept."""
    error.stack_trace = [
        stored_frame(frame) if isinstance(frame, RawFrame) else frame for frame in error.stack_trace
    ]


def stored_frame(raw):
    context = source_context(raw.filename, raw.line)
    frame = frame_dict(raw.filename, raw.line, raw.function, context.get("context_line"))
    frame.update(context)
    if raw.locals is not None:
        frame["locals"] = {name: _scrubbed_local(name, value) for name, value in raw.locals.items()}
    if raw.more_locals:
        frame["more_locals"] = raw.more_locals
    return frame


def _scrubbed_local(name, value):
    return FILTERED if is_sensitive_key(name) else scrub_text(value)


def source_context(filename, lineno):
    """``{pre_context, context_line, post_context}`` around ``lineno`` (1-based) of the file,
    each line cut and scrubbed; empty where the source cannot be read."""
    around = max(int(flowscope_settings.SOURCE_CONTEXT_LINES), 0)
    try:
        linecache.checkcache(filename)
        lines = linecache.getlines(filename)
    except Exception:  # the context is a help: without it the error is still stored
        return {}
    if not 1 <= lineno <= len(lines):
        return {}
    start = max(lineno - 1 - around, 0)
    window = [_line(text) for text in lines[start : lineno + around]]
    here = lineno - 1 - start
    return {
        "pre_context": window[:here],
        "context_line": window[here],
        "post_context": window[here + 1 :],
    }


def _line(text):
    return scrub_text(text_head(text.rstrip("\r\n"), MAX_LINE_LENGTH))
