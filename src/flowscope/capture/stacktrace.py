"""The current stack, read on the request path: an exception's frames, the frames of a log
call, and the call site of a query (the innermost frame of the host's own code, else of
the installed package that ran it)."""

import linecache
import sys
import traceback

from flowscope.capture import frame_locals
from flowscope.conf import flowscope_settings
from flowscope.internal_errors import capture_internal_errors
from flowscope.records.frame_context import RawFrame
from flowscope.records.frames import IN_APP, LIBRARY, call_site_kind, frame_dict, is_in_app

MAX_FRAMES = 50
# What a code object is as a query's caller, decided once per code object: a query's call
# site is then found with one dictionary look-up per frame, no path is looked at.
_caller_kinds = {}
MAX_REMEMBERED_CODES = 50_000  # code made at run time (exec, templates) must not grow it forever


def from_exception(exc):
    """The exception's traceback, innermost frame last (as Python prints it), as
    ``RawFrame`` entries: the innermost ``LOCALS_MAX_FRAMES`` in-app frames with their
    locals (``frame_locals``). Source lines are read when the error is prepared."""
    walked = list(traceback.walk_tb(exc.__traceback__))[-MAX_FRAMES:]
    with_locals = _frames_with_locals(walked)
    return [
        _raw_frame(frame, line, index in with_locals) for index, (frame, line) in enumerate(walked)
    ]


def _frames_with_locals(walked):
    """Indexes in ``walked`` of the innermost in-app frames whose locals are taken."""
    if not flowscope_settings.CAPTURE_LOCALS:
        return set()
    in_app = [i for i, (frame, _) in enumerate(walked) if is_in_app(frame.f_code.co_filename)]
    return set(in_app[max(len(in_app) - flowscope_settings.LOCALS_MAX_FRAMES, 0) :])


def _raw_frame(frame, line, with_locals):
    code = frame.f_code
    # What a loader gives for the file (a zipped module's source) is found again later.
    linecache.lazycache(code.co_filename, frame.f_globals)
    raw = RawFrame(filename=code.co_filename, line=line or 0, function=code.co_name)
    if with_locals:
        with capture_internal_errors():  # the error is still recorded, without them
            raw.locals, raw.more_locals = frame_locals.snapshot(frame)
    return raw


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
