"""The current stack, read on the request path: an exception's frames, the frames of a log
call, and the call site of a query (the innermost frame of the host's own code, else of
the installed package that ran it)."""

import sys
import traceback

from flowscope.records.frames import IN_APP, LIBRARY, call_site_kind, frame_dict

MAX_FRAMES = 50
# What a code object is as a query's caller, decided once per code object: a query's call
# site is then found with one dictionary look-up per frame, no path is looked at.
_caller_kinds = {}
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
    host's code made the call), else of the innermost frame of an installed package that
    is not Django's database layer (a CMS's own query), else None. Resolved to a file and
    function name later, off the request path (``records.frames.call_site_dict``)."""
    frame = sys._getframe(skip)
    known = _caller_kinds
    library_site = None
    while frame is not None:
        code = frame.f_code
        kind = known.get(code)
        if kind is None:
            kind = _remember(code)
        if kind is IN_APP:
            return code, frame.f_lineno
        if kind is LIBRARY and library_site is None:
            library_site = code, frame.f_lineno
        frame = frame.f_back
    return library_site


def _remember(code):
    if len(_caller_kinds) >= MAX_REMEMBERED_CODES:
        _caller_kinds.clear()
    kind = _caller_kinds[code] = call_site_kind(code.co_filename)
    return kind
