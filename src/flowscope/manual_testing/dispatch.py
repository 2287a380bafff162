"""The in-process dispatcher: a tested request is served by the project's own WSGI handler
(every middleware, FlowscopeMiddleware first, then the URLconf), never over the network.

A run (one endpoint test, or a whole workflow) has a worker thread of its own, in a fresh
``contextvars.Context``: nothing of the dashboard request's context is inherited, so
FlowscopeMiddleware begins a trace of its own for each request under the run's
correlation ID and hands it to the recorder like any request's. The context is marked
synthetic (``flowscope.is_synthetic()``), and the thread serves the run's requests one
after another inside a transaction that is rolled back when the run ends
(``rollback``): a test changes none of the project's data.

The caller waits for each request at most the timeout; a request still running then is
answered as timed out and left to finish on its own (a Python thread cannot be stopped),
and the run's transaction is rolled back after it. At most
``MANUAL_TESTING_MAX_CONCURRENT`` runs go on at once per process, so stuck requests
cannot pile up threads: beyond that a run is refused at once (``PoolFull``).
"""

import contextvars
import logging
import queue
import threading
import time
from dataclasses import dataclass, field

from django.core.handlers.wsgi import WSGIHandler
from django.db import connections

from flowscope.conf import flowscope_settings
from flowscope.manual_testing.environ import build_environ
from flowscope.manual_testing.rollback import rolled_back
from flowscope.records.trace import describe_exception
from flowscope.slots import NoSlotFree, Slots
from flowscope.synthetic import synthetic

logger = logging.getLogger("flowscope.manual_testing")


@dataclass
class ManualResponse:
    """What came back. ``body`` holds at most the configured number of bytes; ``error``
    says why there is no response (timed out, the handler raised)."""

    status_code: int | None = None
    headers: dict = field(default_factory=dict)
    content_type: str = ""
    body: bytes = b""
    body_size: int = 0
    truncated: bool = False
    elapsed_ms: float = 0.0
    error: str = ""


class PoolFull(Exception):
    """Every slot for runs is taken; ``limit`` is how many there are."""

    def __init__(self, limit):
        super().__init__(
            f"{limit} manual test runs are in progress (MANUAL_TESTING_MAX_CONCURRENT)."
        )
        self.limit = limit


class _RunSlots(Slots):
    """The slots of runs, and the threads of the runs that hold them."""

    def __init__(self):
        super().__init__("MANUAL_TESTING_MAX_CONCURRENT")
        self.workers = set()


_slots = _RunSlots()


def running_workers():
    """Worker threads of runs that have not ended (e.g. after a timeout)."""
    return [worker for worker in list(_slots.workers) if worker.is_alive()]


def start_run(**marks):
    """A new ``RunWorker`` to send a run's requests through, used as a context manager;
    ``PoolFull`` when every slot is taken. Its transaction is rolled back when the block
    ends (or, after a timeout, when the request still running ends). ``marks`` are stored
    with the run's workflows (``synthetic``)."""
    try:
        semaphore = _slots.acquire()
    except NoSlotFree as exc:
        raise PoolFull(exc.limit) from None
    return RunWorker(semaphore, marks)


def dispatch(tested, origin, *, timeout_ms, headers):
    """One request as a run of its own (see ``RunWorker.send``)."""
    with start_run() as worker:
        return worker.send(tested, origin, timeout_ms=timeout_ms, headers=headers)


@dataclass
class _Job:
    environ: dict
    outcome: ManualResponse = field(default_factory=ManualResponse)
    done: threading.Event = field(default_factory=threading.Event)


class RunWorker:
    """One run's worker thread and its queue of requests."""

    def __init__(self, semaphore, marks=None):
        self._marks = marks or {}
        self._jobs = queue.SimpleQueue()
        self._stuck = False
        self._worker = threading.Thread(
            target=contextvars.Context().run,
            args=(self._work, semaphore),
            name="flowscope-manual-test",
            daemon=True,
        )
        _slots.workers.add(self._worker)
        self._worker.start()

    def send(self, tested, origin, *, timeout_ms, headers):
        """Serve ``tested`` with the dispatcher's own ``headers`` (correlation ID, workflow
        type) and return a ``ManualResponse``; never raises for what the app does."""
        if self._stuck:
            return ManualResponse(error="An earlier request of this run is still running.")
        job = _Job(build_environ(tested, origin, headers))
        self._jobs.put(job)
        if not job.done.wait(timeout_ms / 1000):
            self._stuck = True
            return ManualResponse(
                elapsed_ms=float(timeout_ms), error=f"Timed out after {timeout_ms} ms."
            )
        return job.outcome

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        """The run is over: rolled back and its slot free by the time this returns,
        unless a request is still running (timed out), after which the worker ends."""
        self._jobs.put(None)
        if not self._stuck:
            self._worker.join(flowscope_settings.MANUAL_TESTING_TIMEOUT_MS / 1000)

    def _work(self, semaphore):
        try:
            with synthetic(**self._marks), rolled_back():
                self._serve_jobs()
        except Exception as exc:  # a transaction could not be opened or rolled back
            logger.exception("A manual test run failed outside its requests")
            self._refuse_jobs(describe_exception(exc))
        finally:
            connections.close_all()  # this thread's own connections end with it
            semaphore.release()
            _slots.workers.discard(threading.current_thread())

    def _serve_jobs(self):
        while (job := self._jobs.get()) is not None:
            _serve(job)
        self._jobs.put(None)  # seen again by _refuse_jobs if the rollback fails

    def _refuse_jobs(self, error):
        while (job := self._jobs.get()) is not None:
            job.outcome.error = error
            job.done.set()


def _serve(job):
    started = time.perf_counter()
    try:
        _handle(job.environ, job.outcome)
    except Exception as exc:  # the handler turns the app's errors into 500s; this is ours
        job.outcome.error = describe_exception(exc)
    finally:
        job.outcome.elapsed_ms = (time.perf_counter() - started) * 1000
        job.done.set()


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
