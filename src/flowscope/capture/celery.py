"""Celery tasks in the workflow that sent them, through Celery's signals (as the Celery
integrations of sentry-python and OpenTelemetry do; nothing of Celery is patched).

- ``before_task_publish``: a task sent while a workflow is traced carries it in its
  message headers (``task_trace.headers_for``); its arguments are never read.
- ``task_prerun`` … ``task_postrun``: the worker traces the run like a request, its database
  and cache calls and log records included, and hands the trace to the recorder.
- ``task_failure``, ``task_retry``: the run's step fails; a failure fails the workflow.

A task run eagerly (``task.apply()``, ``task_always_eager``) inside a traced request or task
is a step of that trace instead. Every hook swallows and counts its own failures: a task
runs the same with flowscope broken, switched off, or without its collector.
"""

from flowscope.capture import context, task_trace
from flowscope.capture.collectors import Collector, configured_collectors
from flowscope.capture.errors import LogCollector, record_exception
from flowscope.internal_errors import capture_internal_errors
from flowscope.recording.recorder import get_recorder
from flowscope.records.trace import TaskFacts, describe_exception

try:
    from celery import signals
except ImportError:  # the "celery" extra is not installed: there is nothing to trace
    signals = None

RUN_ATTRIBUTE = "flowscope_run"  # on the task's request: the run's state, for later signals


class TracedRun:
    """A run traced on its own, as in a worker: its trace is the current one until it ends."""

    def __init__(self, trace):
        self.trace = trace
        self.tokens = context.activate(trace)

    def fail(self, exc, expected):
        task_trace.fail(self.trace, exc, expected)

    def retry(self, reason):
        task_trace.retry(self.trace, reason)

    def end(self, facts):
        context.deactivate(self.tokens)
        task_trace.finish(self.trace, facts)
        get_recorder().submit(self.trace)


class NestedRun:
    """A run inside a trace already current (run eagerly): a step of that trace."""

    def __init__(self, name):
        self.span = context.start_span("task", str(name)[:500])  # None: the trace keeps no more
        self.token = context.set_parent(self.span) if self.span is not None else None

    def fail(self, exc, expected):
        if self.span is not None:
            self.span.metadata["error"] = describe_exception(exc)
            exc.flowscope_span_id = self.span.span_id
        severity = "warning" if expected else "error"
        record_exception(context.current_trace(), exc, layer="task", severity=severity)

    def retry(self, reason):
        if self.span is not None:
            self.span.metadata["error"] = str(reason)[:1000]

    def end(self, facts):
        if self.span is None:
            return
        context.reset_parent(self.token)
        self.span.metadata.update(task_id=facts.task_id, state=facts.state)
        self.span.finish("error" if "error" in self.span.metadata else None)


def add_workflow_headers(sender=None, headers=None, **kwargs):
    trace = context.current_trace()
    if trace is None or headers is None:
        return
    with capture_internal_errors():
        headers.update(task_trace.headers_for(trace, context.current_parent()))


def start_run(sender=None, task=None, **kwargs):
    with capture_internal_errors():
        if context.current_trace() is not None:
            run = NestedRun(task.name)
        else:
            trace = task_trace.begin(task.name, _headers(task.request))
            run = TracedRun(trace) if trace is not None else None
        setattr(task.request, RUN_ATTRIBUTE, run)


def _headers(request):
    """The workflow headers of a run: message headers are attributes of the task's request;
    ``apply(headers=...)`` leaves them in ``request.headers``."""
    nested = getattr(request, "headers", None) or {}
    return {
        name: getattr(request, name, None) or nested.get(name)
        for name in (task_trace.CORRELATION_HEADER, task_trace.TRACEPARENT_HEADER)
    }


def record_failure(sender=None, exception=None, **kwargs):
    run = _run_of(sender)
    if run is not None and exception is not None:
        with capture_internal_errors():
            run.fail(exception, isinstance(exception, tuple(getattr(sender, "throws", ()))))


def record_retry(sender=None, reason=None, **kwargs):
    run = _run_of(sender)
    if run is not None:
        with capture_internal_errors():
            run.retry(reason)


def end_run(sender=None, task=None, state=None, **kwargs):
    run = _run_of(task)
    if run is None:
        return
    with capture_internal_errors():
        setattr(task.request, RUN_ATTRIBUTE, None)
        run.end(_facts(task, state))


def _run_of(task):
    return getattr(getattr(task, "request", None), RUN_ATTRIBUTE, None)


def _facts(task, state):
    request = task.request
    delivery = getattr(request, "delivery_info", None) or {}
    return TaskFacts(
        name=str(task.name),
        task_id=str(request.id or ""),
        state=str(state or ""),
        retries=int(request.retries or 0),
        queue=str(delivery.get("routing_key") or ""),
    )


def restore_log_capture(**kwargs):
    """A worker takes the root logger over (``worker_hijack_root_logger``), removing its
    handlers: put log capture back, if it is configured."""
    with capture_internal_errors():
        for collector in configured_collectors():
            if isinstance(collector, LogCollector):
                collector.install()


def write_before_exit(**kwargs):
    """A pool's child process leaves without running ``atexit``: write what it holds."""
    with capture_internal_errors():
        get_recorder().shutdown()


HOOKS = (
    ("before_task_publish", add_workflow_headers),
    ("task_prerun", start_run),
    ("task_failure", record_failure),
    ("task_retry", record_retry),
    ("task_postrun", end_run),
    ("after_setup_logger", restore_log_capture),
    ("worker_process_shutdown", write_before_exit),
)


class CeleryCollector(Collector):
    """Celery tasks: sent with their workflow, traced where they run. Does nothing where
    Celery is not installed."""

    def install(self):
        if signals is None:
            return
        for name, hook in HOOKS:
            getattr(signals, name).connect(hook, weak=False, dispatch_uid=f"flowscope.{name}")

    def uninstall(self):
        if signals is None:
            return
        for name, hook in HOOKS:
            getattr(signals, name).disconnect(hook, dispatch_uid=f"flowscope.{name}")
