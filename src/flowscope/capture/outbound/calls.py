"""One outbound HTTP call: an ``external`` step under the current step, and the trace's
headers on the request that leaves, so that a service that reads them joins the workflow.

The step has its span id from the start (a query's waits for preparation) because
``traceparent`` names it: the request the called service serves hangs under this step.
Headers the caller set are never replaced. A call of an unsampled workflow makes no step
but still carries the headers, so that the next service counts it in the same workflow.

A library that calls another (``requests`` runs on ``urllib3``) or itself (retries,
redirects) makes one step: the outermost call's.
"""

from contextvars import ContextVar

from flowscope.capture import context
from flowscope.capture.outbound.urls import describe_url
from flowscope.internal_errors import capture_internal_errors
from flowscope.records import correlation
from flowscope.records.trace import describe_exception, new_span_id
from flowscope.synthetic import is_synthetic

CORRELATION_HEADER = "X-Correlation-ID"
TRACEPARENT_HEADER = "traceparent"
MAX_NAME_LENGTH = 500  # as every step's

_inside_call = ContextVar("flowscope_inside_outbound_call", default=False)


def current_trace():
    """The trace a call made now belongs to: None outside a trace, or inside another call."""
    trace = context.current_trace()
    if trace is None or _inside_call.get():
        return None
    return trace


def begin(trace, library, method, url, headers):
    """The call about to leave, as a context manager around sending it. ``headers`` are the
    request's own (a case-insensitive mapping): the trace's are added to them."""
    span = None
    with capture_internal_errors():
        span = _start_step(trace, library, str(method).upper(), url)
        _add_headers(trace, span, headers)
    return OutboundCall(span, _inside_call.set(True))


class OutboundCall:
    """Ends the call's step: ``answered(status_code)`` inside the block, or the exception
    that leaves it (a refused connection, a timeout) marks the step failed."""

    __slots__ = ("span", "token")

    def __init__(self, span, token):
        self.span, self.token = span, token

    def __enter__(self):
        return self

    def answered(self, status_code):
        span = self.span
        if span is not None:
            span.metadata["status_code"] = status_code
            span.finish("error" if status_code >= 400 else None)  # as OpenTelemetry's clients

    def __exit__(self, exc_type, exc, tb):
        _inside_call.reset(self.token)
        if exc is not None and self.span is not None:
            with capture_internal_errors():
                self._failed(exc)
        return False

    def _failed(self, exc):
        span = self.span
        span.metadata["error"] = describe_exception(exc)
        span.finish("error")
        if not hasattr(exc, "flowscope_span_id"):  # an error of the request links to it
            exc.flowscope_span_id = span.span_id


def _start_step(trace, library, method, url):
    if not trace.sampled:
        return None
    host, path, query = describe_url(url)
    metadata = {"library": library, "method": method, "host": host, "path": path}
    if query:
        metadata["query"] = query
    if is_synthetic():  # a manual test run's call still reaches the service: say so
        metadata["synthetic"] = True
    name = f"{method} {host}{path}"[:MAX_NAME_LENGTH]
    span = context.start_leaf_span(trace, "external", name, metadata)
    if span is not None:
        span.span_id = new_span_id()
    return span


def _add_headers(trace, span, headers):
    parent = span if span is not None else context.current_parent()
    if CORRELATION_HEADER not in headers:
        headers[CORRELATION_HEADER] = trace.correlation_id
    if TRACEPARENT_HEADER not in headers:
        headers[TRACEPARENT_HEADER] = correlation.traceparent(
            trace.trace_id, parent.span_id, trace.sampled
        )
