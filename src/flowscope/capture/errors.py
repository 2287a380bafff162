"""Errors of the current request: unhandled exceptions, HTTP error answers, log records;
and the two collectors that catch them (``ExceptionCollector``, ``LogCollector``)."""

import functools
import logging
import sys
import threading

from django.core import checks
from django.core.signals import got_request_exception

from flowscope.capture import context, stacktrace
from flowscope.capture.collectors import Collector
from flowscope.conf import flowscope_settings
from flowscope.internal_errors import capture_internal_errors
from flowscope.recording.recorder import get_recorder
from flowscope.records.frame_context import RawFrame
from flowscope.records.scrubbing import scrub_text
from flowscope.records.trace import CapturedError

SEVERITY_BY_LEVEL = (
    (logging.CRITICAL, "critical"),
    (logging.ERROR, "error"),
    (logging.WARNING, "warning"),
)


def type_name(exc):
    cls = type(exc)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def record_exception(trace, exc, layer="api", severity="error"):
    """Add ``exc`` to the trace, linked to the step it escaped from (see ``flowscope.step``)."""
    trace.add_error(
        CapturedError(
            kind="exception",
            layer=layer,
            error_type=type_name(exc),
            message=str(exc),
            severity=severity,
            stack_trace=stacktrace.from_exception(exc),
            span_id=getattr(exc, "flowscope_span_id", trace.root.span_id),
        )
    )


def record_http_error(trace, status_code, reason, detail="", severity="error"):
    message = f"{status_code} {reason}" + (f": {detail}" if detail else "")
    trace.add_error(
        CapturedError(
            kind="http",
            layer="api",
            error_type=f"HTTP {status_code}",
            message=message,
            severity=severity,
            span_id=trace.root.span_id,
        )
    )


def record_unhandled_exception(sender, request=None, **kwargs):
    """Django sends ``got_request_exception`` from inside the ``except`` of any exception
    that escapes a view or a middleware, while the request's trace is still current; the
    answer stays Django's."""
    trace = context.current_trace()
    exc = sys.exc_info()[1]
    if trace is not None and exc is not None:
        with capture_internal_errors():
            record_exception(trace, exc)


class ExceptionCollector(Collector):
    """Exceptions that escape a view or a middleware, with their stack and step."""

    def install(self):
        got_request_exception.connect(
            record_unhandled_exception, dispatch_uid="flowscope.capture.errors"
        )

    def uninstall(self):
        got_request_exception.disconnect(dispatch_uid="flowscope.capture.errors")


def severity_for(levelno):
    return next(name for level, name in SEVERITY_BY_LEVEL if levelno >= level)


class LogCapture:
    """Log records at ``LOG_LEVEL`` and above become errors: of the current workflow inside a
    traced request, standalone otherwise (management commands, background threads).

    Records are taken where the logging module hands them to handlers
    (``Logger.callHandlers``, wrapped as sentry-sdk's logging integration does), after the
    host's own handlers had them. Flowscope adds no handler: one on the root logger would
    switch off Python's last-resort output to stderr (``logging.lastResort``), and a host
    without logging configuration would no longer see its warnings. Only records that reach
    the root logger are taken, as a handler there would have had them; a logger that does not
    propagate (uvicorn's, for one) keeps its records to itself.

    ``start()`` wraps ``callHandlers`` once however often it is called. ``stop()`` puts the
    original back unless something wrapped ``callHandlers`` after flowscope did (putting it
    back would drop theirs too); the wrapper then stays and only calls through.
    """

    def __init__(self):
        self.capturing = False
        self._wrapper = None
        self._local = threading.local()

    def start(self):
        if self._wrapper is None:
            self._wrapper = self._wrap(logging.Logger.callHandlers)
            logging.Logger.callHandlers = self._wrapper
        self.capturing = True

    def stop(self):
        self.capturing = False
        if self._wrapper is not None and logging.Logger.callHandlers is self._wrapper:
            logging.Logger.callHandlers = self._wrapper.__wrapped__
            self._wrapper = None

    def _wrap(self, call_handlers):
        @functools.wraps(call_handlers)
        def call_handlers_and_capture(logger, record):
            try:
                return call_handlers(logger, record)
            finally:
                if self.capturing:
                    self.take(logger, record)

        return call_handlers_and_capture

    def take(self, logger, record):
        if getattr(self._local, "busy", False) or not self._wanted(logger, record):
            return
        self._local.busy = True  # a record logged while capturing one is not captured
        try:
            with capture_internal_errors():
                _record_log(record)
        finally:
            self._local.busy = False

    @staticmethod
    def _wanted(logger, record):
        if not flowscope_settings.ENABLED or record.levelno < (log_level() or logging.WARNING):
            return False
        name = record.name
        if any(
            name == ignored or name.startswith(f"{ignored}.")
            for ignored in flowscope_settings.IGNORE_LOGGERS
        ):
            return False
        return _reaches_root(logger)


def _reaches_root(logger):
    """Whether a record of ``logger`` goes up to the root logger's handlers."""
    while logger.propagate and logger.parent is not None:
        logger = logger.parent
    return logger.parent is None


def _record_log(record):
    error = _log_error(record)
    trace = context.current_trace()
    if trace is not None:
        error.span_id = context.current_parent().span_id
        trace.add_error(error)
    else:
        error.message = scrub_text(error.message)
        get_recorder().submit(error)


def _log_error(record):
    exc = record.exc_info[1] if record.exc_info else None
    if exc is not None:
        error_type, frames = type_name(exc), stacktrace.from_exception(exc)
    else:
        error_type = f"log:{record.name}"
        frames = [RawFrame(record.pathname, record.lineno, record.funcName)]
    return CapturedError(
        kind="log",
        layer="api" if context.current_trace() else "custom",
        error_type=error_type,
        message=record.getMessage(),
        severity=severity_for(record.levelno),
        stack_trace=frames,
        request_context={"logger": record.name, "level": record.levelname},
    )


log_capture = LogCapture()


def log_level():
    """The number of ``LOG_LEVEL``; None when it names no logging level."""
    return logging.getLevelNamesMapping().get(str(flowscope_settings.LOG_LEVEL).upper())


class LogCollector(Collector):
    """Log records at ``LOG_LEVEL`` and above (see ``LogCapture``); no handler is added."""

    def install(self):
        log_capture.start()

    def uninstall(self):
        log_capture.stop()

    def checks(self):
        if log_level() is not None:
            return []
        return [
            checks.Warning(
                f"FLOWSCOPE['LOG_LEVEL'] is {flowscope_settings.LOG_LEVEL!r}, which is not a "
                "logging level: records at WARNING and above are captured.",
                hint='Use a level name such as "WARNING" or "ERROR".',
                id="flowscope.W004",
            )
        ]
