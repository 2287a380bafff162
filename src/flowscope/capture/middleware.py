"""``FlowscopeMiddleware``: put it first in ``MIDDLEWARE`` so it times everything after it."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from flowscope.capture import context, errors, requests
from flowscope.capture.recorder import get_recorder
from flowscope.capture.safety import capture_internal_errors


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

    def process_exception(self, request, exception):
        """An exception escaping the view: recorded, then Django answers as it always does."""
        trace = context.current_trace()
        if trace is not None:
            with capture_internal_errors():
                errors.record_exception(trace, exception)

    @staticmethod
    def _begin(request):
        with capture_internal_errors():
            return requests.begin(request)
        return None

    @staticmethod
    def _finish(request, response, trace):
        with capture_internal_errors():
            requests.finish(request, response, trace)
            requests.add_response_headers(response, trace)
            get_recorder().submit(trace)
