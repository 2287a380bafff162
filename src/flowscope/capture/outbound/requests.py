"""Calls made with requests: ``Session.send``, which every call goes through
(``requests.get`` makes a session too). Redirects that requests follows are part of the one
call; so are the ``urllib3`` calls it makes underneath."""

import functools

from flowscope.capture.outbound import calls
from flowscope.capture.outbound.patching import LibraryCollector


def traced_send(send):
    @functools.wraps(send)
    def send_traced(session, request, **kwargs):
        trace = calls.current_trace()
        if trace is None:
            return send(session, request, **kwargs)
        with calls.begin(trace, "requests", request.method, request.url, request.headers) as call:
            response = send(session, request, **kwargs)
            call.answered(response.status_code)
        return response

    return send_traced


class RequestsCollector(LibraryCollector):
    """Every call made with requests, as an ``external`` step."""

    methods = (("requests", "Session", "send", traced_send),)
