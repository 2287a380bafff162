"""The in-memory records flowscope keeps before they are written: a request's ``Trace``,
its ``Span`` steps and ``CapturedError`` errors, and ``ExternalSpans`` from the browser or
other services. Plain data (``msgspec`` structs: cheap to make on the request path, and
encoded as they are by ``records.codec``): capture builds them, recording writes them.

A trace leaves the request *raw*: database and cache steps hold the SQL text and key as
the host used them, their call site as a code object and line, and the request's own facts
in ``RequestFacts``. ``records.preparation`` turns that into what is stored (normalized,
scrubbed, described) off the request path, before anything leaves the process.
"""

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

LAYERS = ("frontend", "api", "database", "cache", "external", "custom", "task")
MAX_ERRORS_PER_REQUEST = 100


def describe_exception(exc):
    """``"Type: message"``, capped, for a failed step's metadata (scrubbed before storing)."""
    return f"{type(exc).__name__}: {exc}"[:1000]


def new_span_id():
    return f"{random.getrandbits(64):016x}"


def now():
    return datetime.now(UTC)


class Record(msgspec.Struct, omit_defaults=True, eq=False, kw_only=True):
    """What every record shares. ``idempotency_key``: records delivered again under the
    same key (a retried ingest request, a stream entry a crashed writer left) are stored
    once."""

    idempotency_key: str = ""


class Span(msgspec.Struct, omit_defaults=True, eq=False):
    """One timed step. ``started_at`` is wall-clock for display; durations use a monotonic
    clock so that clock adjustments cannot produce negative times.

    Steps made on the request path for every query or cache call pass ``span_id=""`` and
    ``started_at=None``: preparation fills both in (from the clock), off the request path.
    ``call_site`` is then a ``(code, line)`` pair, resolved to a frame when prepared."""

    layer: str
    name: str
    parent_span_id: str = ""
    span_id: str = msgspec.field(default_factory=new_span_id)
    started_at: datetime | None = msgspec.field(default_factory=now)
    start_clock: float = msgspec.field(default_factory=time.perf_counter)
    duration_ms: float = 0.0
    status: str = "ok"
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    call_site: Any = None

    def finish(self, status=None):
        self.duration_ms = (time.perf_counter() - self.start_clock) * 1000
        if status:
            self.status = status


class CapturedError(Record, tag="error"):
    kind: str  # "exception", "http" (an error answer) or "log" (a log record)
    layer: str
    error_type: str
    message: str
    severity: str = "error"
    stack_trace: list = msgspec.field(default_factory=list)
    span_id: str = ""
    created_at: datetime = msgspec.field(default_factory=now)
    request_context: dict[str, Any] = msgspec.field(default_factory=dict)


class RequestFacts(msgspec.Struct, eq=False, tag="request"):
    """What the request and its response said, as they said it: described and scrubbed by
    preparation. Never encoded: a trace is prepared before it leaves the process."""

    method: str
    path: str
    path_values: dict  # the URL's parameters, so that secret ones are masked in the path
    query_string: str
    headers: dict  # the request's META: its HTTP_ entries are the headers
    body: Any  # bytes, a "[... bytes]" note, or None
    content_type: str
    status_code: int
    response_type: str
    response_size: int | None
    response_body: bytes | None


class TaskFacts(msgspec.Struct, eq=False, tag="task"):
    """What a background task's run said, for preparation to describe (see ``RequestFacts``)."""

    name: str
    task_id: str
    state: str  # Celery's: SUCCESS, FAILURE, RETRY, ...
    retries: int
    queue: str


class Trace(Record, tag="trace"):
    """Everything one request, or one run of a background task, contributes to its workflow:
    its root step is the API step (layer ``api``) or the task's (layer ``task``)."""

    correlation_id: str
    trace_id: str
    root: Span
    sampled: bool = True
    max_steps: int = 500
    workflow_type: str = ""
    # The request came with its correlation ID (X-Correlation-ID, traceparent): it may
    # belong to a workflow begun elsewhere. Else capture made the ID up for it.
    correlation_given: bool = False
    complete: bool = False
    user_id: int | None = None
    journey_id: str = ""
    # The RELEASE of the process that captured it (its workflow's release when first set).
    release: str = ""
    spans: list[Span] = msgspec.field(default_factory=list)
    errors: list[CapturedError] = msgspec.field(default_factory=list)
    dropped_steps: int = 0
    dropped_errors: int = 0
    query_count: int = 0
    # (SQL, call site) of queries past ``max_steps``: not stored, but counted for N+1.
    unkept_queries: list = msgspec.field(default_factory=list)
    workflow_metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    # Set once the request is finished: late additions (a task the view left running) are
    # dropped and counted, so nothing follows the trace after it was handed over.
    closed: bool = False
    facts: RequestFacts | TaskFacts | None = None

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
    @property
    def request_count(self):
        """A request counts as one of its workflow's requests; a task's run does not."""
        return int(self.root.layer == "api")

    def all_spans(self):
        return [self.root, *self.spans]

    @property
    def outside_workflows(self):
        """A request that made up its own correlation ID and names no workflow type: a
        request trace, unless something typed joins it later."""
        return self.root.layer == "api" and not self.correlation_given and not self.workflow_type

    @property
    def started_at(self):
        return self.root.started_at

    @property
    def ended_at(self):
        return self.root.started_at + timedelta(milliseconds=self.root.duration_ms)


class ExternalSpans(Record, tag="external"):
    """Spans of one workflow that arrive from outside the request: the browser SDK, or
    another service through OpenTelemetry. Written like a ``Trace``, but not a request."""

    correlation_id: str
    spans: list[Span]
    errors: list[CapturedError] = msgspec.field(default_factory=list)
    sampled: bool = True
    workflow_type: str = ""
    complete: bool = False
    user_id: int | None = None
    journey_id: str = ""
    # The release the sender reported (the browser SDK's, OTLP's service.version).
    release: str = ""
    workflow_metadata: dict[str, Any] = msgspec.field(default_factory=dict)

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
