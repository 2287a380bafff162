"""The in-process dispatcher: a tested request is served by the project's own WSGI handler
(every middleware, FlowscopeMiddleware first, then the URLconf), never over the network.

It runs in a worker thread, inside a fresh ``contextvars.Context``: nothing of the
dashboard request's context is inherited, so FlowscopeMiddleware begins a trace of its own
under the run's correlation ID and hands it to the recorder like any request's. The caller
waits at most the timeout; a request still running then is answered as timed out and left
to finish on its own (a Python thread cannot be stopped). At most
``MANUAL_TESTING_MAX_CONCURRENT`` run at once per process, so stuck requests cannot pile up
threads: beyond that a test fails at once, saying why.
"""

import contextvars
import threading
import time
from dataclasses import dataclass, field

from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

from flowscope.conf import flowscope_settings
from flowscope.manual_testing.environ import build_environ
from flowscope.records.trace import describe_exception


@dataclass
class ManualResponse:
    """What came back. ``body`` holds at most the configured number of bytes; ``error``
    says why there is no response (timed out, too many in flight, the handler raised)."""

    status_code: int | None = None
    headers: dict = field(default_factory=dict)
    content_type: str = ""
    body: bytes = b""
    body_size: int = 0
    truncated: bool = False
    elapsed_ms: float = 0.0
    error: str = ""


class _Slots:
    """A semaphore sized by the setting, replaced when the setting changes (in tests)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._size, self._semaphore = None, None
        self.workers = set()

    def acquire(self):
        with self._lock:
            size = flowscope_settings.MANUAL_TESTING_MAX_CONCURRENT
            if size != self._size:
                self._size, self._semaphore = size, threading.BoundedSemaphore(size)
            semaphore = self._semaphore
        return semaphore if semaphore.acquire(blocking=False) else None


_slots = _Slots()


def running_workers():
    """Worker threads still serving a tested request (e.g. after a timeout)."""
    return [worker for worker in list(_slots.workers) if worker.is_alive()]


def dispatch(tested, origin, *, timeout_ms, headers):
    """Serve ``tested`` in-process with the dispatcher's own ``headers`` (correlation ID,
    workflow type) and return a ``ManualResponse``; never raises for what the app does."""
    environ = build_environ(tested, origin, headers)
    semaphore = _slots.acquire()
    if semaphore is None:
        limit = flowscope_settings.MANUAL_TESTING_MAX_CONCURRENT
        return ManualResponse(error=f"{limit} tested requests are still running; try again.")
    outcome = ManualResponse()
    worker = threading.Thread(
        target=contextvars.Context().run,
        args=(_serve, environ, outcome, semaphore),
        name="flowscope-manual-test",
        daemon=True,
    )
    _slots.workers.add(worker)
    worker.start()
    worker.join(timeout_ms / 1000)
    if worker.is_alive():
        return ManualResponse(
            elapsed_ms=float(timeout_ms), error=f"Timed out after {timeout_ms} ms."
        )
    return outcome


def _serve(environ, outcome, semaphore):
    started = time.perf_counter()
    try:
        _handle(environ, outcome)
    except Exception as exc:  # the handler turns the app's errors into 500s; this is ours
        outcome.error = describe_exception(exc)
    finally:
        outcome.elapsed_ms = (time.perf_counter() - started) * 1000
        connections.close_all()  # this thread's own connections end with it
        semaphore.release()
        _slots.workers.discard(threading.current_thread())


def _handle(environ, outcome):
    wire_headers = []

    def start_response(status, headers, exc_info=None):
        wire_headers.extend(headers)

    response = WSGIHandler()(environ, start_response)
    try:
        if environ["REQUEST_METHOD"] != "HEAD":  # a server sends no body, whatever was made
            outcome.body, outcome.body_size, outcome.truncated = _read(response)
    finally:
        response.close()  # request_finished: Django's own end-of-request cleanup
    outcome.status_code = response.status_code
    outcome.content_type = response.get("Content-Type", "")
    outcome.headers = _merged(wire_headers)


def _read(response):
    """At most MANUAL_TESTING_MAX_RESPONSE_BYTES of the body, its size, whether cut."""
    limit = flowscope_settings.MANUAL_TESTING_MAX_RESPONSE_BYTES
    if not response.streaming:
        return response.content[:limit], len(response.content), len(response.content) > limit
    kept, size = bytearray(), 0
    for chunk in response.streaming_content:
        size += len(chunk)
        kept += chunk[: max(limit - len(kept), 0)]
        if size > limit:
            return bytes(kept), size, True  # the rest is not read: it may never end
    return bytes(kept), size, False


def _merged(pairs):
    """Response headers by name; repeated ones (Set-Cookie) joined as HTTP allows."""
    headers = {}
    for name, value in pairs:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers
