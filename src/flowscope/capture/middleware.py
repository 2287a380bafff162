"""``FlowscopeMiddleware``: put it first in ``MIDDLEWARE`` so it times everything after it."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from flowscope.capture import context, request_trace
from flowscope.internal_errors import capture_internal_errors
from flowscope.recording.recorder import get_recorder


class FlowscopeMiddleware:
    """Traces each request as a step of its workflow; sync- and async-capable.

    The request path never waits on the store: the finished trace is handed to the recorder's
    queue. Any failure of flowscope's own is logged and counted, and the response is the
    one the app made (plus ``X-Correlation-ID`` and ``traceparent`` headers).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        trace = self._begin(request)
        if trace is None:
            return self.get_response(request)
        tokens = context.activate(trace)
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(tokens)
        self._finish(request, response, trace)
        return response

    async def __acall__(self, request):
        trace = self._begin(request)
        if trace is None:
            return await self.get_response(request)
        tokens = context.activate(trace)
        try:
            response = await self.get_response(request)
        finally:
            context.deactivate(tokens)
        self._finish(request, response, trace)
        return response

    @staticmethod
    def _begin(request):
        with capture_internal_errors():
            return request_trace.begin(request)
        return None

    @staticmethod
    def _finish(request, response, trace):
        finished = False
        with capture_internal_errors():
            request_trace.finish(request, response, trace)
            finished = True
        with capture_internal_errors():  # the headers even when describing failed
            request_trace.add_response_headers(response, trace)
        if finished:  # only a finished trace has been scrubbed
            with capture_internal_errors():
                get_recorder().submit(trace)
