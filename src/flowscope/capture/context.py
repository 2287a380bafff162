"""The trace of the request being served, held in ``contextvars``.

A ``Trace`` is built in memory while the request runs and handed to the recorder when the
response is ready. Context variables (not thread locals) keep concurrent requests apart
under ASGI, and asgiref copies them into the threads that run sync code for async views.
"""

from contextvars import ContextVar
from time import perf_counter

from flowscope.records.trace import Span, Trace

_trace: ContextVar[Trace | None] = ContextVar("flowscope_trace", default=None)
_parent: ContextVar[Span | None] = ContextVar("flowscope_parent_span", default=None)


def current_trace():
    return _trace.get()


def current_parent():
    """The span new steps hang under: the innermost open custom step, else the API step."""
    parent = _parent.get()
    if parent is not None:
        return parent
    trace = _trace.get()
    return trace.root if trace is not None else None


def activate(trace):
    return _trace.set(trace), _parent.set(None)


def deactivate(tokens):
    trace_token, parent_token = tokens
    _parent.reset(parent_token)
    _trace.reset(trace_token)


def set_parent(span):
    return _parent.set(span)


def reset_parent(token):
    _parent.reset(token)


def start_span(layer, name, **metadata):
    """A new child of the current parent, or None when nothing is being traced."""
    trace = _trace.get()
    if trace is None or not trace.sampled:
        return None
    parent = current_parent()
    span = Span(layer=layer, name=name, parent_span_id=parent.span_id, metadata=metadata)
    return span if trace.add_span(span) else None


def start_leaf_span(trace, layer, name, metadata, call_site=None):
    """A step with no children of its own (a query, a cache call), made as cheaply as can
    be: its id and wall-clock start are given when the trace is prepared, off the request
    path. None when the trace keeps no more steps."""
    span = Span(layer, name, current_parent().span_id, "", None, metadata=metadata)
    span.call_site = call_site
    if not trace.add_span(span):
        return None
    span.start_clock = perf_counter()  # the step's own time, not flowscope's
    return span
