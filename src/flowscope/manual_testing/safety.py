"""What a manual test may send: a path of this project, a standard method, clean headers.

The dispatcher never opens a socket, so a URL cannot reach another host anyway; refusing
anything that is not a plain path of this project (schemes, hosts, ``//``, traversal, also
percent-encoded) makes that visible to the tester instead of a confusing 404, and keeps a
test from ever depending on how a path would be normalised. Each check returns the
problems it found, so the API can name them all at once.
"""

import re
from urllib.parse import unquote, urlsplit

from django.urls import Resolver404, resolve

from flowscope.conf import flowscope_settings
from flowscope.manual_testing import proxy_headers
from flowscope.manual_testing.internal import is_internal

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Set by the dispatcher: the run's correlation ID, workflow and journey (none), the host,
# the body framing.
MANAGED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "x-correlation-id",
        "traceparent",
        "x-workflow-type",
        "x-workflow-complete",
        "x-flowscope-journey",
    }
)
MAX_PATH_LENGTH = 2048
MAX_HEADER_VALUE_LENGTH = 8192
DECODING_ROUNDS = 3  # "%252e%252e" is ".." after two rounds of decoding

_HEADER_NAME = re.compile(r"[!#$%&'*+.^`|~0-9A-Za-z-]+")  # an RFC 9110 token, minus "_"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_TAB = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s")


def split_target(target):
    """``"/p/?a=1"`` -> ``("/p/", "a=1")``: a pasted query string is kept."""
    path, _, query = target.partition("?")
    return path, query


def path_problems(target):
    """Why ``target`` is not a plain path of this project (before resolving it)."""
    if _CONTROL.search(target) or _WHITESPACE.search(target):
        return ["A path has no spaces or control characters (CR, LF, NUL...)."]
    if len(target) > MAX_PATH_LENGTH:
        return [f"A path has at most {MAX_PATH_LENGTH} characters."]
    if urlsplit(target).scheme or not target.startswith("/"):
        return ["Only a path of this project is accepted (e.g. /api/v1/products/), not a URL."]
    if target.startswith(("//", "/\\")):
        return ["A path starts with a single /: //host/... names another host."]
    if "#" in target:
        return ["A path has no #fragment: it is never sent to a server."]
    if _traverses(split_target(target)[0]):
        return ["A path may not hold . or .. segments, nor backslashes, encoded or not."]
    return []


def _traverses(path):
    for _ in range(DECODING_ROUNDS + 1):
        if "\\" in path or any(segment in (".", "..") for segment in path.split("/")):
            return True
        path = unquote(path)
    return False


def route_problems(path):
    """Why the (decoded) ``path`` is not a route a test may call."""
    try:
        match = resolve(path)
    except Resolver404:
        return [f"No route of this project matches {path}."]
    if is_internal(path, match.func, match.app_names):
        return ["Flowscope's own endpoints and the admin cannot be tested from here."]
    return []


def target_problems(target):
    """Every check of a path (with an optional query string), resolving it last."""
    return path_problems(target) or route_problems(unquote(split_target(target)[0]))


def header_problems(headers):
    """Why these headers (name -> value) cannot be sent as given."""
    limit = flowscope_settings.MANUAL_TESTING_MAX_HEADERS
    if len(headers) > limit:
        return [f"At most {limit} headers."]
    refused = proxy_headers.refused()
    problems = []
    for name, value in headers.items():
        problems += _header_name_problems(name, refused) or _header_value_problems(name, value)
    return problems


def _header_name_problems(name, refused):
    if _CONTROL.search(name):
        return [f"Header name {name!r} holds a control character (CR, LF...)."]
    if "_" in name:
        return [f"Header name {name!r}: use - not _ (servers drop or merge _ names)."]
    if not _HEADER_NAME.fullmatch(name):
        return [f"Header name {name!r} is not a valid HTTP header name."]
    if name.lower() in MANAGED_HEADERS:
        return [f"Header {name!r} is set by flowscope for every test; leave it out."]
    if name.lower() in refused:
        return [
            f"Header {name!r} is set by a proxy in front of the project (who the user is, "
            "where the request comes from); a test cannot send it."
        ]
    return []


def _header_value_problems(name, value):
    if _CONTROL_BUT_TAB.search(value):
        return [f"The value of header {name!r} holds a control character (CR, LF...)."]
    if len(value) > MAX_HEADER_VALUE_LENGTH:
        return [f"The value of header {name!r} is over {MAX_HEADER_VALUE_LENGTH} characters."]
    return []
