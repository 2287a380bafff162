"""``flowscope.step``: a step of one's own code in the current workflow's trace."""

import functools
from inspect import iscoroutinefunction

from flowscope.capture import context


class step:
    """Time a block or a function as a step, child of whatever step encloses it.

    ``layer`` is ``custom`` by default; use ``external`` for calls to outside services.
    Outside a traced request it does nothing. An exception escaping the block marks the
    step as failed and is re-raised untouched; if it goes on to become an error of the
    request, that error is linked to this step.
    """

    def __init__(self, name, layer="custom", **metadata):
        self.name, self.layer, self.metadata = name, layer, metadata
        self._span = self._token = None

    def __enter__(self):
        self._span = context.start_span(self.layer, self.name, **self.metadata)
        if self._span is not None:
            self._token = context.set_parent(self._span)
        return self._span

    def __exit__(self, exc_type, exc, tb):
        span, self._span = self._span, None
        if span is None:
            return False
        context.reset_parent(self._token)
        if exc is None:
            span.finish()
        else:
            span.metadata["error"] = f"{exc_type.__name__}: {exc}"[:1000]
            span.finish("error")
            if not hasattr(exc, "flowscope_span_id"):
                exc.flowscope_span_id = span.span_id
        return False

    def __call__(self, func):
        if iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args, **kwargs):
                with step(self.name, self.layer, **self.metadata):
                    return await func(*args, **kwargs)

            return run_async

        @functools.wraps(func)
        def run(*args, **kwargs):
            with step(self.name, self.layer, **self.metadata):
                return func(*args, **kwargs)

        return run
