"""Calls made with urllib3 itself: ``HTTPConnectionPool.urlopen``, which every pool
(``PoolManager``, ``urllib3.request``) sends through, as OpenTelemetry wraps it. A call that
requests makes on urllib3 is requests' step, not a second one; urllib3's own retries and
redirects are part of the one call. Needs urllib3 2."""

import functools

from flowscope.capture.outbound import calls
from flowscope.capture.outbound.patching import LibraryCollector

try:
    from urllib3 import HTTPHeaderDict
except ImportError:  # not installed, or urllib3 1: the collector installs nothing
    HTTPHeaderDict = None


def traced_urlopen(urlopen):
    @functools.wraps(urlopen)
    def urlopen_traced(pool, method, url, *args, **kwargs):
        trace = calls.current_trace()
        if trace is None:
            return urlopen(pool, method, url, *args, **kwargs)
        args, kwargs, headers = _headers_of_own(pool, args, kwargs)
        with calls.begin(trace, "urllib3", method, _absolute_url(pool, url), headers) as call:
            response = urlopen(pool, method, url, *args, **kwargs)
            call.answered(response.status)
        return response

    return urlopen_traced


def _headers_of_own(pool, args, kwargs):
    """The call's arguments with a copy of its headers (the pool's when it gives none) that
    the trace's can be added to: the caller's own mapping is never changed."""
    if len(args) >= 2:  # urlopen(method, url, body, headers, ...)
        headers = HTTPHeaderDict(args[1] if args[1] is not None else pool.headers)
        return (args[0], headers, *args[2:]), kwargs, headers
    given = kwargs.get("headers")
    headers = HTTPHeaderDict(given if given is not None else pool.headers)
    return args, {**kwargs, "headers": headers}, headers


def _absolute_url(pool, url):
    if not url.startswith("/"):  # through a proxy: the whole URL already
        return url
    host = f"[{pool.host}]" if ":" in pool.host else pool.host
    port = f":{pool.port}" if pool.port else ""
    return f"{pool.scheme}://{host}{port}{url}"


class Urllib3Collector(LibraryCollector):
    """Every call made with urllib3 directly, as an ``external`` step."""

    methods = (
        (("urllib3.connectionpool", "HTTPConnectionPool", "urlopen", traced_urlopen),)
        if HTTPHeaderDict is not None
        else ()
    )
