"""Stack frames as data, and which of them are the host's own code.

"In-app" means not the standard library, not an installed package and not flowscope:
the frames a developer of the host project can open and fix. Installed packages are known
by their folder (this Python's ``purelib``/``platlib``) and by the name any Python gives
that folder (``site-packages``, ``dist-packages``), so that a stack from another machine
(an OTLP exception) is judged as a local one.
"""

import functools
import os
import re
import sysconfig

import asgiref
import django.db

import flowscope

_PATHS = sysconfig.get_paths()


def _dirs(*paths):
    """Real paths with a trailing separator, the longest (the most specific) first."""
    return tuple(sorted({os.path.realpath(path) + os.sep for path in paths}, key=len, reverse=True))


_PACKAGE_DIRS = _dirs(_PATHS["purelib"], _PATHS["platlib"])
_STDLIB_DIRS = _dirs(_PATHS["stdlib"], _PATHS["platstdlib"])
_FLOWSCOPE_DIR = _dirs(os.path.dirname(flowscope.__file__))
_LIBRARY_DIRS = _dirs(*_PACKAGE_DIRS, *_STDLIB_DIRS, *_FLOWSCOPE_DIR)
# Frames that never name a query's caller: flowscope's own, Django's database layer that
# every query goes through, and asgiref's thread hop (an async ORM call's caller is on
# another stack).
_PASSED_THROUGH_DIRS = _dirs(
    *_FLOWSCOPE_DIR, os.path.dirname(django.db.__file__), os.path.dirname(asgiref.__file__)
)

_PACKAGE_PATH = re.compile(r"[\\/](?:site|dist)-packages[\\/]")
_STDLIB_PATH = re.compile(r"[\\/](?:lib[\\/]python\d+(?:\.\d+)?t?|Lib)[\\/]")

_PROJECT_DIR = os.path.realpath(os.getcwd()) + os.sep

# What a frame is as the caller of a query (``call_site_kind``).
IN_APP, LIBRARY, PASSED_THROUGH = "in_app", "library", "passed_through"


@functools.lru_cache(maxsize=4096)
def display_path(filename):
    """The path as a developer reads it: relative to the folder of installed packages or the
    standard library it is in (even where that is inside the project, as a virtualenv may
    be), else to the project (the working directory); stable across machines, so also for
    fingerprints."""
    real = os.path.realpath(filename) if filename and not filename.startswith("<") else ""
    for prefix in (*_PACKAGE_DIRS, *_STDLIB_DIRS, _PROJECT_DIR):
        if real.startswith(prefix):
            return real[len(prefix) :]
    packages = _PACKAGE_PATH.search(real)  # another Python's, or the user's site-packages
    return real[packages.end() :] if packages else filename


def is_library_path(path):
    """Whether ``path``, from this machine or another, names installed or standard-library
    code (or code with no file, such as ``<frozen importlib._bootstrap>``)."""
    return (
        path.startswith("<") or bool(_PACKAGE_PATH.search(path)) or bool(_STDLIB_PATH.search(path))
    )


@functools.lru_cache(maxsize=4096)
def is_in_app(filename):
    if not filename:
        return False
    real = os.path.realpath(filename) if not filename.startswith("<") else filename
    return not (real.startswith(_LIBRARY_DIRS) or is_library_path(real))


@functools.lru_cache(maxsize=4096)
def call_site_kind(filename):
    """``IN_APP``, ``LIBRARY`` (an installed package that may have made the call) or
    ``PASSED_THROUGH`` (flowscope, Django's database layer, the standard library)."""
    if is_in_app(filename):
        return IN_APP
    real = os.path.realpath(filename) if not filename.startswith("<") else filename
    if real.startswith(_PASSED_THROUGH_DIRS):
        return PASSED_THROUGH
    if real.startswith(_PACKAGE_DIRS) or _PACKAGE_PATH.search(real):
        return LIBRARY
    return PASSED_THROUGH


def frame_dict(filename, lineno, function, line=None):
    return {
        "file": display_path(filename),
        "line": lineno,
        "function": function,
        "in_app": is_in_app(filename),
        "code": (line or "").strip()[:200],
    }


def call_site_dict(site):
    """A ``(code, line)`` pair taken on the request path as the frame the dashboard shows;
    ``in_app`` is false where no frame of the host's own code made the call."""
    code, line = site
    return {
        "file": display_path(code.co_filename),
        "line": line,
        "function": code.co_name,
        "in_app": is_in_app(code.co_filename),
    }
