"""The in-memory records flowscope keeps before they are written: a request's ``Trace``,
its ``Span`` steps and ``CapturedError`` errors, and ``ExternalSpans`` from the browser or
other services. Plain data: capture builds them, recording writes them.
"""

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

LAYERS = ("frontend", "api", "database", "cache", "external", "custom")
MAX_ERRORS_PER_REQUEST = 100


def describe_exception(exc):
    """``"Type: message"``, capped, for a failed step's metadata (scrubbed before storing)."""
    return f"{type(exc).__name__}: {exc}"[:1000]


def new_span_id():
    return f"{random.getrandbits(64):016x}"


def now():
    return datetime.now(UTC)


@dataclass(slots=True, eq=False)
class Span:
    """One timed step. ``started_at`` is wall-clock for display; durations use a monotonic
    clock so that clock adjustments cannot produce negative times."""

    layer: str
    name: str
    parent_span_id: str = ""
    span_id: str = field(default_factory=new_span_id)
    started_at: datetime = field(default_factory=now)
    start_clock: float = field(default_factory=time.perf_counter)
    duration_ms: float = 0.0
    status: str = "ok"
    metadata: dict = field(default_factory=dict)

    def finish(self, status=None):
        self.duration_ms = (time.perf_counter() - self.start_clock) * 1000
        if status:
            self.status = status


@dataclass(slots=True, eq=False)
class CapturedError:
    kind: str  # "exception", "http" (an error answer) or "log" (a log record)
    layer: str
    error_type: str
    message: str
    severity: str = "error"
    stack_trace: list = field(default_factory=list)
    span_id: str = ""
    created_at: datetime = field(default_factory=now)
    request_context: dict = field(default_factory=dict)


@dataclass(eq=False)
class Trace:
    """Everything one request contributes to its workflow."""

    correlation_id: str
    trace_id: str
    root: Span
    sampled: bool = True
    max_steps: int = 500
    workflow_type: str = ""
    complete: bool = False
    user_id: int | None = None
    spans: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    dropped_steps: int = 0
    dropped_errors: int = 0
    query_count: int = 0
    sql_counts: Counter = field(default_factory=Counter)
    sql_call_sites: dict = field(default_factory=dict)  # normalized SQL -> first call site
    workflow_metadata: dict = field(default_factory=dict)
    # Set once the request is finished and scrubbed: late additions (a task the view left
    # running) are dropped and counted, so nothing unscrubbed follows the trace to the store.
    closed: bool = False

    def add_span(self, span):
        """Keep ``span`` unless the request has ``max_steps`` or has ended (then count it)."""
        if self.closed or len(self.spans) >= self.max_steps:
            self.dropped_steps += 1
            return False
        self.spans.append(span)
        return True

    def add_error(self, error):
        """Keep ``error`` unless the request has too many or has ended (then count it)."""
        if self.closed or len(self.errors) >= MAX_ERRORS_PER_REQUEST:
            self.dropped_errors += 1
            return False
        self.errors.append(error)
        return True

    @property
    def has_errors(self):
        return bool(self.errors)

    # What the writer needs of any record (see ``ExternalSpans``):
    request_count = 1

    def all_spans(self):
        return [self.root, *self.spans]

    @property
    def started_at(self):
        return self.root.started_at

    @property
    def ended_at(self):
        return self.root.started_at + timedelta(milliseconds=self.root.duration_ms)


@dataclass(eq=False)
class ExternalSpans:
    """Spans of one workflow that arrive from outside the request: the browser SDK, or
    another service through OpenTelemetry. Written like a ``Trace``, but not a request."""

    correlation_id: str
    spans: list
    errors: list = field(default_factory=list)
    sampled: bool = True
    workflow_type: str = ""
    complete: bool = False
    user_id: int | None = None
    workflow_metadata: dict = field(default_factory=dict)

    @property
    def request_count(self):
        """Requests another service served for the workflow (its server spans), so that a
        workflow's request count covers every service that reports to flowscope."""
        return sum(span.layer == "api" for span in self.spans)

    @property
    def has_errors(self):
        return bool(self.errors)

    def all_spans(self):
        return self.spans

    @property
    def started_at(self):
        return min((s.started_at for s in self.spans), default=None) or self.errors[0].created_at

    @property
    def ended_at(self):
        ends = [s.started_at + timedelta(milliseconds=s.duration_ms) for s in self.spans]
        return max(ends, default=None) or self.errors[-1].created_at
