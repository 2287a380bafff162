"""``flowscope.step``: a step of one's own code in the current workflow's trace."""

import functools
from contextvars import ContextVar
from inspect import iscoroutinefunction

from flowscope.capture import context
from flowscope.capture.collectors import Collector
from flowscope.internal_errors import capture_internal_errors
from flowscope.records.trace import LAYERS, describe_exception

# The steps open in this context, innermost last: (step object, span, parent token). Kept
# here, not on the step object, so that one object can be entered by many threads or
# tasks at once, or nested in itself.
_open_steps: ContextVar[tuple] = ContextVar("flowscope_open_steps", default=())


class step:
    """Time a block or a function as a step, child of whatever step encloses it.

    ``layer`` is one of ``flowscope.models.Layer`` (``custom`` by default; ``external`` for
    calls to outside services; anything else is recorded as ``custom``). Outside a traced
    request it does nothing. An exception escaping the block marks the step as failed and
    is re-raised untouched; if it becomes an error of the request, it is linked to this step.
    Nor does it before the app's ``ready()`` has installed ``StepCollector``, or when
    ``FLOWSCOPE["COLLECTORS"]`` leaves it out.
    """

    collecting = False  # set by StepCollector

    def __init__(self, name, layer="custom", **metadata):
        if layer not in LAYERS:
            metadata["requested_layer"], layer = str(layer)[:50], "custom"
        self.name, self.layer, self.metadata = str(name)[:500], layer, metadata

    def __enter__(self):
        span = None
        if not step.collecting:
            return span
        with capture_internal_errors():
            span = context.start_span(self.layer, self.name, **self.metadata)
            if span is not None:
                entry = (self, span, context.set_parent(span))
                _open_steps.set((*_open_steps.get(), entry))
        return span

    def __exit__(self, exc_type, exc, tb):
        with capture_internal_errors():
            self._close(exc_type, exc)
        return False

    def _close(self, exc_type, exc):
        entries = _open_steps.get()
        if not entries or entries[-1][0] is not self:
            return  # entered outside a trace, or the trace ended: nothing to close
        _, span, token = entries[-1]
        _open_steps.set(entries[:-1])
        context.reset_parent(token)
        if exc is None:
            span.finish()
            return
        span.metadata["error"] = describe_exception(exc)
        span.finish("error")
        if not hasattr(exc, "flowscope_span_id"):
            exc.flowscope_span_id = span.span_id

    def __call__(self, func):
        if iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args, **kwargs):
                with self:
                    return await func(*args, **kwargs)

            return run_async

        @functools.wraps(func)
        def run(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return run


def annotate(**metadata):
    """Add ``metadata`` to the innermost ``flowscope.step`` open in this context: facts
    known only once the work is done (an order's total, its number of lines), for the
    trace and for invariants to read (docs/invariants.md). Scrubbed with the step's own
    metadata, off the request path. With no step open (or outside a traced request) it
    does nothing."""
    with capture_internal_errors():
        if entries := _open_steps.get():
            entries[-1][1].metadata.update(metadata)


class StepCollector(Collector):
    """The steps of one's own code, marked with ``flowscope.step``."""

    def install(self):
        step.collecting = True

    def uninstall(self):
        step.collecting = False
