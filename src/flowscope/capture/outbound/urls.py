"""Route-like names for the URLs a host calls: ``/v1/users/{id}/orders/{uuid}``, so that
calls to one endpoint look alike and the ids and tokens in a URL stay out of the store.

A path segment or query value that is all digits becomes ``{id}``, a UUID ``{uuid}``, and a
long one that looks like a token (16 characters or more mixing letters and digits, or any
32 or more) ``{token}``. The user and password a URL may carry are never kept, and what
is left is scrubbed (``?api_key=[Filtered]``) here, once per URL: the step is named by it.
"""

import functools
import re
from urllib.parse import parse_qsl, urlsplit

from django.core.signals import setting_changed

from flowscope.records.scrubbing import scrub_text

MIN_TOKEN_LENGTH = 16
LONG_VALUE_LENGTH = 32
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Za-z]")


@functools.lru_cache(maxsize=2048)  # a service is called at the same few URLs over and over
def describe_url(url):
    """``(host, path, query)`` of an absolute URL: the host with its port, the path and the
    query (``""`` when there is none) with placeholders."""
    parts = urlsplit(url)
    path = scrub_text(route_like(parts.path or "/"))
    return _host(parts), path, scrub_text(_query(parts.query))


def _forget_on_change(*, setting, **kwargs):
    if setting == "FLOWSCOPE":  # SCRUB_KEYS may have changed
        describe_url.cache_clear()


setting_changed.connect(_forget_on_change)


def route_like(path):
    return "/".join(map(placeholder, path.split("/")))


def placeholder(value):
    """``{id}``, ``{uuid}`` or ``{token}`` for a value that names one thing among many;
    any other value as it is."""
    if value.isdigit():
        return "{id}"
    if len(value) < MIN_TOKEN_LENGTH:
        return value
    if _UUID.fullmatch(value):
        return "{uuid}"
    if len(value) >= LONG_VALUE_LENGTH or (_DIGIT.search(value) and _LETTER.search(value)):
        return "{token}"
    return value


def _host(parts):
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: the library will refuse the URL itself
        port = None
    return f"{host}:{port}" if port else host


def _query(query):
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{key}={placeholder(value)}" for key, value in pairs)
