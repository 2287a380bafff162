"""What one run of a background task contributes to its workflow: begun before the task
runs, finished after it, as ``request_trace`` does for a request.

A task sent while a workflow is traced carries the workflow's correlation ID and the step
that sent it in its message headers (``headers_for``). The run that receives them continues
that workflow: its step (layer ``task``) hangs under the sending step, its queries and cache
calls under it. A task sent from anywhere else starts a workflow of its own. The headers
are read like a request's ``X-Correlation-ID`` and ``traceparent``: an invalid value starts
a new workflow, never an error of the task.
"""

from flowscope.capture import errors
from flowscope.conf import flowscope_settings
from flowscope.records import correlation
from flowscope.records.scrubbing import scrub
from flowscope.records.trace import Span, Trace, describe_exception

CORRELATION_HEADER = "flowscope_correlation_id"
TRACEPARENT_HEADER = "flowscope_traceparent"


def headers_for(trace, parent):
    """The message headers that take ``trace``'s workflow to the task, sent from ``parent``."""
    return {
        CORRELATION_HEADER: trace.correlation_id,
        TRACEPARENT_HEADER: correlation.traceparent(trace.trace_id, parent.span_id, trace.sampled),
    }


def begin(name, headers):
    """A new ``Trace`` for a run of the task ``name``, continuing the workflow ``headers``
    (a mapping, as the message carried them) name; None when flowscope is switched off."""
    if not flowscope_settings.ENABLED:
        return None
    correlation_id, remote_parent, problem = correlation.resolve(
        _text(headers.get(CORRELATION_HEADER)), _text(headers.get(TRACEPARENT_HEADER))
    )
    root = Span(layer="task", name=str(name)[:500], parent_span_id=remote_parent)
    trace = Trace(
        correlation_id=correlation_id,
        trace_id=correlation.trace_id_for(correlation_id),
        root=root,
        max_steps=flowscope_settings.MAX_STEPS_PER_REQUEST,
        sampled=correlation.is_sampled(correlation_id, flowscope_settings.SAMPLE_RATE),
        release=flowscope_settings.RELEASE,
    )
    trace.workflow_metadata = {"entry_point": f"task {root.name}"}
    if problem:
        trace.workflow_metadata.update(scrub(problem))
    return trace


def _text(value):
    return value if isinstance(value, str) else None


def fail(trace, exc, expected=False):
    """The run raised ``exc``: its step failed and, unless the task declares the exception
    expected (Celery's ``throws``), so does the workflow."""
    errors.record_exception(trace, exc, layer="task", severity="warning" if expected else "error")
    trace.root.status = "error"


def retry(trace, reason):
    """The run ends to be tried again: its step failed, the workflow goes on."""
    reason = describe_exception(reason) if isinstance(reason, BaseException) else str(reason)
    trace.root.metadata["error"] = reason[:1000]
    trace.root.status = "error"


def finish(trace, facts):
    """Complete the task's step; ``facts`` (``TaskFacts``) are described when prepared."""
    trace.root.finish()
    trace.facts = facts
    trace.closed = True
