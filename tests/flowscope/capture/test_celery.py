"""Celery capture in this process: the headers a task is sent with, a run traced from
them, a task run eagerly inside a request, and tasks that run the same when flowscope
fails. A real worker: ``test_celery_worker``."""

import pytest
from celery import Celery
from celery.signals import before_task_publish
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.urls import path

from flowscope.capture import task_trace
from flowscope.internal_errors import internal_errors
from flowscope.records import correlation
from flowscope.testing import capture_traces, use_recorder

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

app = Celery("flowscope-inprocess", broker="memory://", set_as_current=False)


@app.task
def count_users():
    return get_user_model().objects.count()


@app.task
def explode():
    get_user_model().objects.exists()
    service = "confirmation"
    raise RuntimeError(f"{service} service exploded")


def send_view(request):
    count_users.apply_async(queue="inprocess")
    return JsonResponse({})


def eager_view(request):
    count_users.apply()
    explode.apply()
    return JsonResponse({})


urlpatterns = [path("send/", send_view), path("eager/", eager_view)]


@pytest.fixture
def published():
    """The headers of every task message sent, as the broker receives them."""
    sent = []

    def keep(headers=None, **kwargs):
        sent.append(dict(headers))

    before_task_publish.connect(keep, weak=False)
    yield sent
    before_task_publish.disconnect(keep)


def test_a_task_sent_in_a_request_carries_its_workflow(client, published):
    with capture_traces() as recorder:
        client.get("/send/", headers={"X-Correlation-ID": "checkout-1"})
    (headers,) = published
    (trace,) = recorder
    assert headers[task_trace.CORRELATION_HEADER] == "checkout-1"
    trace_id, parent = correlation.parse_traceparent(headers[task_trace.TRACEPARENT_HEADER])
    assert (trace_id, parent) == (trace.trace_id, trace.root.span_id)


def test_a_task_sent_outside_a_workflow_carries_nothing(published):
    count_users.apply_async(queue="inprocess")
    assert task_trace.CORRELATION_HEADER not in published[0]


def test_a_run_continues_the_workflow_its_headers_name():
    traceparent = correlation.traceparent("ab" * 16, "cd" * 8, True)
    with capture_traces() as recorder:
        result = count_users.apply(
            headers={
                task_trace.CORRELATION_HEADER: "checkout-2",
                task_trace.TRACEPARENT_HEADER: traceparent,
            }
        )
    assert result.get() == 0
    (trace,) = recorder
    assert (trace.correlation_id, trace.request_count) == ("checkout-2", 0)
    assert (trace.root.layer, trace.root.name) == ("task", f"{__name__}.count_users")
    assert trace.root.metadata["state"] == "SUCCESS"
    assert [s.layer for s in trace.spans] == ["database"]
    assert trace.spans[0].parent_span_id == trace.root.span_id


@pytest.mark.parametrize("given", ["", "no spaces allowed", 42, None])
def test_invalid_headers_start_a_new_workflow(given):
    with capture_traces() as recorder:
        result = count_users.apply(headers={task_trace.CORRELATION_HEADER: given})
    assert result.successful()
    (trace,) = recorder
    assert correlation.HEX_TRACE_ID.fullmatch(trace.correlation_id)


def test_a_task_run_eagerly_in_a_request_is_a_step_of_it(client):
    with capture_traces() as recorder:
        client.get("/eager/", headers={"X-Correlation-ID": "checkout-3"})
    (trace,) = recorder
    tasks = [s for s in trace.spans if s.layer == "task"]
    assert [(s.name, s.status) for s in tasks] == [
        (f"{__name__}.count_users", "ok"),
        (f"{__name__}.explode", "error"),
    ]
    assert all(s.parent_span_id == trace.root.span_id for s in tasks)
    queries = [s for s in trace.spans if s.layer == "database"]
    assert [q.parent_span_id for q in queries] == [t.span_id for t in tasks]
    (error,) = trace.errors
    assert (error.layer, error.error_type) == ("task", "RuntimeError")
    assert error.span_id == tasks[1].span_id
    innermost = error.stack_trace[-1]  # the task's own frame, with its locals
    assert (innermost["function"], innermost["locals"]) == (
        "explode",
        {"service": "'confirmation'"},
    )
    assert "raise RuntimeError" in innermost["context_line"]


class _Broken:
    def submit(self, item):
        raise OSError("the store is gone")


def test_a_failing_recorder_never_breaks_a_task(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "RAISE_INTERNAL_ERRORS": False}
    before = internal_errors.count
    with use_recorder(_Broken()):
        assert count_users.apply().get() == 0
        assert explode.apply().state == "FAILURE"
    assert internal_errors.count == before + 2


def test_switched_off_nothing_is_traced(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "ENABLED": False}
    with capture_traces() as recorder:
        assert count_users.apply().get() == 0
    assert recorder == []


def test_a_run_carries_the_release_of_the_worker(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "RELEASE": "worker-2026.12.1"}
    with capture_traces() as recorder:
        count_users.apply(headers={task_trace.CORRELATION_HEADER: "checkout-3"}).get()
    assert recorder[0].release == "worker-2026.12.1"
