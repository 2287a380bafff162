"""Stack frames as data, and which of them are the host's own code.

"In-app" means not the standard library, not an installed package and not flowscope:
the frames a developer of the host project can open and fix.
"""

import functools
import os
import sysconfig

import flowscope

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


def call_site_dict(site):
    """A ``(code, line)`` pair taken on the request path as the frame the dashboard shows."""
    code, line = site
    return {"file": display_path(code.co_filename), "line": line, "function": code.co_name}
