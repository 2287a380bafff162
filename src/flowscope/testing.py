"""Test helpers for projects that use flowscope (and for flowscope's own tests).

``capture_traces()`` collects what the middleware would queue, in memory, without a
database write or a background thread::

    with capture_traces() as traces:
        client.get("/api/v1/products/")
    assert traces[0].root.name == "GET /api/v1/products/"

``use_recorder()`` puts a real recorder (a queue and a writer thread of its own) in place
for a block, and shuts it down after it, having written what it holds; use it with a
database that the writer's thread sees (pytest-django's ``transactional_db``)::

    with use_recorder() as recorder:
        client.get("/api/v1/products/")
        assert recorder.flush(10)

``assert_num_queries``, ``json_shape`` and ``MaskedValues`` serve the tests flowscope
exports from captured workflows (``workflows/<id>/export-test/``, docs/test-export.md).

``use_recorder(recorder)`` makes a recorder of one's own (or a stand-in with ``submit``
and ``snapshot``) the process's one for the block; shutting it down is then the caller's.
"""

from contextlib import ExitStack, contextmanager

from django.db import connections

from flowscope.analysis.diff import shape
from flowscope.capture.database import sets_up_connection
from flowscope.manual_testing.templates import MissingValue, render
from flowscope.recording.recorder import Recorder, set_recorder
from flowscope.records.preparation import prepare

SHUTDOWN_SECONDS = 60


class ListRecorder(list):
    """Stands in for the recorder: ``submit`` appends the record as it would be stored."""

    def submit(self, item):
        self.append(prepare(item))
        return True

    def submit_all(self, items):
        self.extend(prepare(item) for item in items)
        return True

    def snapshot(self):
        """The recorder's counters, as the health endpoint reads them."""
        return {
            "queued": len(self),
            "written": 0,
            "dropped": 0,
            "failed_batches": 0,
            "retries": 0,
            "last_flush_at": None,
            "queue_depth": 0,
            "writer_alive": True,
        }


@contextmanager
def use_recorder(recorder=None):
    own = recorder is None
    recorder = Recorder() if own else recorder
    previous = set_recorder(recorder)
    try:
        yield recorder
    finally:
        set_recorder(previous)
        if own:
            recorder.shutdown(SHUTDOWN_SECONDS)


@contextmanager
def capture_traces():
    with use_recorder(ListRecorder()) as collected:
        yield collected


def json_shape(value):
    """``{path: type}`` of a JSON value, as a replay's diff compares answers:
    ``{"$": "object", "$.items": "array", "$.items[].id": "number"}``."""
    return shape(value)


class MaskedValues:
    """The values an exported test fills in for what flowscope masked, with the fields of
    the workflow's earlier JSON answers they name filled in too: ``"Token {token}"``."""

    def __init__(self):
        self.answers = {}

    def fill(self, value):
        if value == "":
            raise AssertionError(
                "A value masked when the workflow was stored is not filled in: see the "
                "constants at the top of this test."
            )
        try:
            return render(value, self.answers)
        except MissingValue as exc:
            raise AssertionError(str(exc)) from None

    def headers(self, headers, masked=None):
        """``headers`` with the ``masked`` ones filled in; a masked one left empty is not
        sent, as in a replay. Without ``masked``, every one of ``headers`` is a masked one
        (as tests exported before it was added have it); with it, ``headers`` are sent as
        they are: a stored "{id}" in one is the request's text, no field to fill in."""
        if masked is None:
            headers, masked = {}, headers
        filled = {name: self.fill(value) for name, value in masked.items() if value != ""}
        return {**headers, **filled}

    def learn(self, response):
        """The top-level fields of a JSON object answer, for later values to name."""
        if "json" not in response.get("Content-Type", ""):
            return
        answer = response.json()
        if isinstance(answer, dict):
            self.answers.update({k: v for k, v in answer.items() if not isinstance(v, dict | list)})


@contextmanager
def assert_num_queries(count):
    """The block sends ``count`` statements to the databases, counted as flowscope counts a
    request's queries: through Django's own hook on every cursor (``execute_wrapper``).
    Unlike ``assertNumQueries``, the BEGIN and COMMIT that Django's transaction calls log
    without a cursor are not counted, nor a new connection's set-up (MySQL's ``SET SESSION
    ...``): the capture never counts them."""
    sent = []

    def counted(execute, sql, params, many, context):
        if not sets_up_connection(sql):  # a new connection's own set-up: not the code's
            sent.append(sql)
        return execute(sql, params, many, context)

    with ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(counted))
        yield sent
    if len(sent) != count:
        listed = "\n".join(f"{number}. {sql}" for number, sql in enumerate(sent, 1))
        raise AssertionError(
            f"{len(sent)} != {count} : {len(sent)} queries executed, {count} expected "
            f"(as captured)\nThe queries were:\n{listed}"
        )
