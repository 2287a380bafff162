"""Stack frames as data, and which of them are the host's own code.

"In-app" means not the standard library, not an installed package and not flowscope:
the frames a developer of the host project can open and fix.
"""

import functools
import os
import sys
import sysconfig
import traceback

import flowscope

MAX_FRAMES = 50

_LIBRARY_DIRS = tuple(
    {
        os.path.realpath(sysconfig.get_paths()[name]) + os.sep
        for name in ("stdlib", "platstdlib", "purelib", "platlib")
    }
    | {os.path.realpath(os.path.dirname(flowscope.__file__)) + os.sep}
)


_PROJECT_DIR = os.path.realpath(os.getcwd()) + os.sep


@functools.lru_cache(maxsize=4096)
def display_path(filename):
    """The path as a developer reads it: relative to the project (the working directory)
    or to the library folder it is in; stable across machines, so also for fingerprints."""
    real = os.path.realpath(filename) if filename and not filename.startswith("<") else ""
    for prefix in (_PROJECT_DIR, *_LIBRARY_DIRS):
        if real.startswith(prefix):
            return real[len(prefix) :]
    return filename


@functools.lru_cache(maxsize=4096)
def is_in_app(filename):
    if not filename or filename.startswith("<"):
        return False
    return not os.path.realpath(filename).startswith(_LIBRARY_DIRS)


def frame_dict(filename, lineno, function, line=None):
    return {
        "file": display_path(filename),
        "line": lineno,
        "function": function,
        "in_app": is_in_app(filename),
        "code": (line or "").strip()[:200],
    }


def from_exception(exc):
    """The exception's traceback, innermost frame last (as Python prints it)."""
    summary = traceback.extract_tb(exc.__traceback__)[-MAX_FRAMES:]
    return [frame_dict(f.filename, f.lineno, f.name, f.line) for f in summary]


def from_current_stack(skip=1):
    """The current call stack (for log records without an exception), innermost last."""
    summary = traceback.extract_stack(sys._getframe(skip))[-MAX_FRAMES:]
    return [frame_dict(f.filename, f.lineno, f.name, f.line) for f in summary]


def call_site(skip=2):
    """The innermost in-app frame of the current stack: where the host's code made the
    call (file, line, function), or None. Walks frames without formatting them: this runs
    for every query."""
    frame = sys._getframe(skip)
    while frame is not None:
        code = frame.f_code
        if is_in_app(code.co_filename):
            return {
                "file": display_path(code.co_filename),
                "line": frame.f_lineno,
                "function": code.co_name,
            }
        frame = frame.f_back
    return None
