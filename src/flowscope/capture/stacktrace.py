"""The current stack, read on the request path: an exception's frames, the frames of a log
call, and the call site of a query (the innermost frame of the host's own code)."""

import sys
import traceback

from flowscope.records.frames import frame_dict, is_in_app

MAX_FRAMES = 50
# Whether a code object is the host's own code, decided once per code object: a query's
# call site is then found with one dictionary look-up per frame, no path is looked at.
_in_app_codes = {}
MAX_REMEMBERED_CODES = 50_000  # code made at run time (exec, templates) must not grow it forever


def from_exception(exc):
    """The exception's traceback, innermost frame last (as Python prints it)."""
    summary = traceback.extract_tb(exc.__traceback__)[-MAX_FRAMES:]
    return [frame_dict(f.filename, f.lineno, f.name, f.line) for f in summary]


def from_current_stack(skip=1):
    """The current call stack (for log records without an exception), innermost last."""
    summary = traceback.extract_stack(sys._getframe(skip))[-MAX_FRAMES:]
    return [frame_dict(f.filename, f.lineno, f.name, f.line) for f in summary]


def call_site(skip=2):
    """``(code, line)`` of the innermost in-app frame of the current stack (where the
    host's code made the call), or None. Resolved to a file and function name later, off
    the request path (``records.frames.call_site_dict``)."""
    frame = sys._getframe(skip)
    known = _in_app_codes
    while frame is not None:
        code = frame.f_code
        in_app = known.get(code)
        if in_app is None:
            in_app = _remember(code)
        if in_app:
            return code, frame.f_lineno
        frame = frame.f_back
    return None


def _remember(code):
    if len(_in_app_codes) >= MAX_REMEMBERED_CODES:
        _in_app_codes.clear()
    in_app = _in_app_codes[code] = is_in_app(code.co_filename)
    return in_app
