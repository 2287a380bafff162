"""What the capture must survive: odd callers, late work, poisoned input, its own bugs."""

import asyncio
import logging
import threading

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.http import JsonResponse
from django.test import AsyncClient, Client
from django.urls import path

import flowscope
from flowscope import internal_errors
from flowscope.capture import context, request_trace
from flowscope.models import ErrorLog, TraceStep, WorkflowSession
from flowscope.recording import write_policy, writer
from flowscope.recording.losses import Losses
from flowscope.records.trace import CapturedError
from flowscope.testing import capture_traces
from tests.flowscope.capture import views
from tests.flowscope.factories import make_trace

SHARED_STEP = flowscope.step("shared.step")
pending = []


def cache_view(request):
    cache.set_many({"a": 1, "b": 2})
    got = cache.get_many(key for key in ("a", "b", "missing"))
    cache.delete_many(key for key in ("a",))
    cache.get_or_set("c", 3)
    return JsonResponse(
        {"got": got, "has_b": cache.has_key("b"), "incr": cache.incr("b"), "a_left": cache.get("a")}
    )


def shared_step_view(request):
    with SHARED_STEP, SHARED_STEP:
        pass
    return JsonResponse({"ok": True})


@flowscope.step("async.work", layer="no-such-layer")
async def async_work():
    await asyncio.sleep(0)


async def late_view(request):
    await async_work()

    async def later():
        await asyncio.sleep(0.05)
        logging.getLogger("tests.late").warning("late: password=hunter2")
        with flowscope.step("late.step"):
            pass

    pending.append(asyncio.ensure_future(later()))
    return JsonResponse({"ok": True})


def huge_view(request):
    """A host that puts megabytes in a step's metadata and a log message."""
    huge = "x" * 3_000_000
    with flowscope.step("export.rows", rows=huge, note="ok"):
        logging.getLogger("tests.huge").warning("export failed: %s", huge)
    return JsonResponse({"ok": True})


def secret_view(request, token):
    cache.get(f"card:{request.GET.get('card', '')}")
    return JsonResponse({"ok": True})


class BrokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/broken-middleware/":
            raise KeyError("session backend down")
        return self.get_response(request)


urlpatterns = [
    path("cache/", cache_view),
    path("shared-step/", shared_step_view),
    path("late/", late_view),
    path("reset/<str:token>/", secret_view),
    path("huge/", huge_view),
    path("broken-middleware/", shared_step_view),
    *views.urlpatterns,
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db(transaction=True)]


def only(traces):
    assert len(traces) == 1
    return traces[0]


def test_cache_operations_behave_as_without_flowscope_and_are_described(settings):
    settings.FLOWSCOPE = {"ENABLED": False}
    plain = Client().get("/cache/").json()
    cache.clear()
    settings.FLOWSCOPE = {"RAISE_INTERNAL_ERRORS": True}
    with capture_traces() as traces:
        traced = Client().get("/cache/").json()
    assert traced == plain == {"got": {"a": 1, "b": 2}, "has_b": True, "incr": 3, "a_left": None}
    spans = {span.name: span.metadata for span in only(traces).spans}
    assert (spans["cache.get_many"]["hits"], spans["cache.get_many"]["misses"]) == (2, 1)
    assert spans["cache.get_many"]["keys"] == ["a", "b", "missing"]
    assert spans["cache.has_key"]["hit"] is True
    assert "cache.get" in spans  # get_or_set's own get/add are not separate steps
    assert [n for n in spans if n.startswith("cache.add")] == []


def test_one_step_object_serves_many_threads_and_nesting():
    answers = []

    def call():
        answers.append(Client().get("/shared-step/").status_code)

    with capture_traces() as traces:
        threads = [threading.Thread(target=call) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == [200] * 4
    for trace in traces:
        outer, inner = trace.spans
        assert inner.parent_span_id == outer.span_id
        assert outer.parent_span_id == trace.root.span_id


def test_late_work_after_the_response_is_dropped_not_stored():
    async def request_then_wait():
        response = await AsyncClient().get("/late/")
        await asyncio.gather(*pending)
        return response

    with capture_traces() as traces:
        assert async_to_sync(request_then_wait)().status_code == 200
    trace = only(traces)
    assert [s.name for s in trace.spans] == ["async.work"]
    assert trace.spans[0].layer == "custom"
    assert trace.spans[0].metadata["requested_layer"] == "no-such-layer"
    assert trace.errors == []
    assert (trace.dropped_steps, trace.dropped_errors) == (1, 1)


def test_secrets_in_ids_paths_and_cache_keys_are_masked():
    with capture_traces() as traces:
        Client().get(
            "/reset/abc123secret/",
            {"card": "4242424242424242"},
            HTTP_X_CORRELATION_ID="4242 4242 4242 4242",
        )
    trace = only(traces)
    assert trace.root.metadata["path"] == "/reset/[Filtered]/"
    assert "4242" not in repr(trace.workflow_metadata)
    assert "4242424242424242" not in repr(trace.spans[0].metadata)


def test_a_browser_fetch_becomes_the_parent_of_the_api_step():
    cid = "4bf92f3577b34da6a3ce929d0e0e4736"
    with capture_traces() as traces:
        Client().get(
            "/sync/x/", HTTP_X_CORRELATION_ID=cid, HTTP_TRACEPARENT=f"00-{cid}-00f067aa0ba902b7-01"
        )
        Client().get(
            "/sync/y/",
            HTTP_X_CORRELATION_ID=cid,
            HTTP_TRACEPARENT="00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01",
        )
    same_trace, other_trace = traces
    assert same_trace.root.parent_span_id == "00f067aa0ba902b7"
    assert other_trace.root.parent_span_id == ""


def test_n_plus_one_is_reported_even_past_the_step_limit(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MAX_STEPS_PER_REQUEST": 2}
    with capture_traces() as traces:
        response = Client().get("/n-plus-one/")
    trace = only(traces)
    assert "X-Correlation-ID" in response
    assert trace.root.metadata["n_plus_one"][0]["call_site"]["function"] == "many_queries_view"


def test_an_exception_in_a_middleware_is_recorded_as_such(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.BrokenMiddleware"]
    with capture_traces() as traces:
        response = Client(raise_request_exception=False).get("/broken-middleware/")
    assert response.status_code == 500
    (error,) = only(traces).errors
    assert (error.kind, error.error_type) == ("exception", "KeyError")
    assert error.stack_trace[-1]["function"] == "__call__"


def test_log_records_outside_a_request_are_standalone_errors(settings):
    with capture_traces() as records:
        logging.getLogger("tests.job").error("nightly import failed: token=abc")
        settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOG_LEVEL": "CRITICAL"}
        logging.getLogger("tests.job").error("not captured below CRITICAL")
    (error,) = records
    assert isinstance(error, CapturedError)
    assert (error.layer, error.severity) == ("custom", "error")
    assert error.message == "nightly import failed: token=[Filtered]"


def test_a_bug_in_flowscope_is_counted_and_the_app_answers(settings, monkeypatch):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "RAISE_INTERNAL_ERRORS": False}
    monkeypatch.setattr(request_trace, "_facts", lambda *args: 1 / 0)
    before = internal_errors.internal_errors.count
    with capture_traces() as traces:
        response = Client().get("/sync/bug/")
    assert response.status_code == 200
    assert response.json() == {"tag": "bug"}
    assert "X-Correlation-ID" in response
    assert traces == []  # never submitted half-scrubbed
    assert internal_errors.internal_errors.count == before + 1


def test_binary_and_multipart_bodies_are_stored_as_markers():
    with capture_traces() as traces:
        Client().post("/echo/", bytes(2048), content_type="application/octet-stream")
        Client().post("/echo/", {"file": "x" * 10})
    binary, multipart = traces
    assert binary.root.metadata["request_body"] == "[binary 2048 bytes]"
    assert multipart.root.metadata["request_body"].startswith("[multipart ")


def test_one_bad_record_costs_only_itself(transactional_db, monkeypatch):
    monkeypatch.setattr(write_policy, "BACKOFF_SECONDS", 0.001)
    real_write = writer.write

    def refuses_poison(items):
        if any(item.correlation_id == "poison" for item in items):
            raise ValueError("the database refuses this value")
        return real_write(items)

    monkeypatch.setattr(writer, "write", refuses_poison)
    committed, losses = [], Losses()
    policy = write_policy.WritePolicy(on_commit=committed.append, losses=losses)
    policy.write_batch([make_trace(f"ok-{i}") for i in range(3)] + [make_trace("poison")])
    assert WorkflowSession.objects.count() == 3
    stats = policy.snapshot()
    assert (stats["written"], stats["failed_batches"]) == (3, 1)
    assert losses.snapshot()["write_failed"] == 1
    assert [batch.workflows[0].correlation_id for batch in committed] == ["ok-0", "ok-1", "ok-2"]


def test_nul_characters_and_odd_layers_do_not_poison_the_store(real_recorder):
    Client().get("/sync/nul/", {"q": "a\x00b"})
    assert real_recorder.flush(10)
    step = TraceStep.objects.get(layer="api")
    assert step.metadata["query"] == {"q": "a\ufffdb"}


def test_megabytes_of_metadata_and_log_text_are_stored_cut(real_recorder, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MAX_TEXT_LENGTH": 1000}
    assert Client().get("/huge/").status_code == 200
    assert real_recorder.flush(30)
    step = TraceStep.objects.get(name="export.rows")
    assert step.metadata["note"] == "ok"
    assert step.metadata["rows"] == "x" * 1000 + "…[2999000 more characters]"
    message = ErrorLog.objects.get(error_type="log:tests.huge").message
    assert message.startswith("export failed: xxx") and len(message) < 1100
    assert message.endswith(f"…[{3_000_015 - 1000} more characters]")


def test_the_recorders_own_sql_is_never_traced(real_recorder):
    for index in range(3):
        Client().get(f"/sync/own-{index}/")
        assert real_recorder.flush(10)
    names = list(TraceStep.objects.values_list("name", flat=True))
    assert len(names) == 3 * 4
    assert not [name for name in names if "flowscope_" in name]


def test_context_is_empty_outside_requests():
    assert context.current_trace() is None
