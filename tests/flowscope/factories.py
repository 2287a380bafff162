"""Traces and stored steps built by hand, for tests of what is done with them after the
request."""

from datetime import UTC, datetime, timedelta

from flowscope.models import TraceStep
from flowscope.records.trace import CapturedError, Span, Trace

T0 = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def make_trace(
    correlation_id="wf-1",
    *,
    at=T0,
    duration_ms=100.0,
    name="GET /api/v1/x/",
    workflow_type="",
    complete=False,
    sampled=True,
    errors=(),
    spans=(),
    status="ok",
    query_count=0,
    correlation_given=True,
):
    """A request's trace; by default one that came with its correlation ID (a workflow's
    request), ``correlation_given=False`` for one that made it up."""
    root = Span(
        layer="api",
        name=name,
        started_at=at,
        duration_ms=duration_ms,
        status=status,
        metadata={"status_code": 200, "query_count": query_count},
    )
    trace = Trace(
        correlation_id=correlation_id,
        trace_id="0" * 32,
        root=root,
        sampled=sampled,
        workflow_type=workflow_type,
        correlation_given=correlation_given,
        complete=complete,
        query_count=query_count,
    )
    for span in spans:
        span.parent_span_id = span.parent_span_id or root.span_id
        trace.spans.append(span)
    for error in errors:
        error.span_id = error.span_id or root.span_id
        error.created_at = at
        trace.errors.append(error)
    return trace


def make_error(message="boom 1", severity="error", error_type="ValueError", frames=None):
    return CapturedError(
        kind="exception",
        layer="api",
        error_type=error_type,
        message=message,
        severity=severity,
        stack_trace=frames
        or [
            {
                "file": "/app/shop/views.py",
                "line": 10,
                "function": "pay",
                "in_app": True,
                "code": "",
            }
        ],
    )


def make_span(layer, name, duration_ms=5.0, at=T0, **metadata):
    return Span(
        layer=layer,
        name=name,
        started_at=at + timedelta(milliseconds=1),
        duration_ms=duration_ms,
        metadata=metadata,
    )


def make_step(span_id, layer, start_ms, duration_ms, parent="", name=None, status="ok", **metadata):
    """A stored step as the store returns it (unsaved): ``start_ms`` after T0."""
    return TraceStep(
        span_id=span_id,
        parent_span_id=parent,
        layer=layer,
        name=name or span_id,
        status=status,
        started_at=T0 + timedelta(milliseconds=start_ms),
        duration_ms=duration_ms,
        metadata=metadata,
    )


def make_checkout(correlation_id, at, duration_ms, query_ms):
    """A checkout of one request, completing it, that spent ``query_ms`` in one query."""
    return make_trace(
        correlation_id,
        at=at,
        workflow_type="checkout",
        complete=True,
        duration_ms=duration_ms,
        spans=[make_span("database", "SELECT cart", duration_ms=query_ms, at=at)],
    )
