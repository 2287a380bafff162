"""Calls made with httpx: ``Client.send`` and ``AsyncClient.send``, which every request of a
client goes through (``httpx.get`` makes a client too), as Sentry wraps them. Redirects and
authentication round trips are part of the one call."""

import functools

from flowscope.capture.outbound import calls
from flowscope.capture.outbound.patching import LibraryCollector


def _begin(trace, request):
    return calls.begin(trace, "httpx", request.method, str(request.url), request.headers)


def traced_send(send):
    @functools.wraps(send)
    def send_traced(client, request, *args, **kwargs):
        trace = calls.current_trace()
        if trace is None:
            return send(client, request, *args, **kwargs)
        with _begin(trace, request) as call:
            response = send(client, request, *args, **kwargs)
            call.answered(response.status_code)
        return response

    return send_traced


def traced_async_send(send):
    @functools.wraps(send)
    async def send_traced(client, request, *args, **kwargs):
        trace = calls.current_trace()
        if trace is None:
            return await send(client, request, *args, **kwargs)
        with _begin(trace, request) as call:
            response = await send(client, request, *args, **kwargs)
            call.answered(response.status_code)
        return response

    return send_traced


class HttpxCollector(LibraryCollector):
    """Every call made with an httpx client, sync or async, as an ``external`` step."""

    methods = (
        ("httpx", "Client", "send", traced_send),
        ("httpx", "AsyncClient", "send", traced_async_send),
    )
