"""Celery tasks under a real worker process on the Redis broker: a task sent during a
request runs in that request's workflow, as a step with its own queries and cache calls,
and its failure fails the workflow. The worker writes what it traced into this test's
database with its own recorder, as a deployed worker would.

The broker is ``CELERY_BROKER_URL``, else the Redis database after ``REDIS_URL``'s;
without ``REDIS_URL`` the tests skip (fail with ``FLOWSCOPE_REQUIRE_SERVICES=1``)."""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from django.http import JsonResponse
from django.urls import path

from flowscope.models import ErrorLog, TraceStep, WorkflowSession
from tests.flowscope.capture import celery_app
from tests.servers import free_port

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls(__name__),
]
REPO = Path(__file__).resolve().parents[3]
DEADLINE = 120  # seconds; generous, the machine is shared
QUEUE = f"flowscope-tests-{uuid.uuid4().hex[:8]}"  # this run's own: no other run's tasks


def send(request, task):
    """Sends one of celery_app's tasks with the arguments in the query string."""
    args = request.GET.getlist("arg")
    if task == "send_look_up":
        args.append(QUEUE)
    result = getattr(celery_app, task).apply_async(args, queue=QUEUE)
    return JsonResponse({"task_id": result.id})


urlpatterns = [path("orders/send/<str:task>/", send)]


def database_url():
    """This test database, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    login = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    scheme, port = {"postgresql": ("postgres", 5432), "mysql": ("mysql", 3306)}[connection.vendor]
    return f"{scheme}://{login}@{db['HOST']}:{db['PORT'] or port}/{db['NAME']}"


def wait_until_ready(process, output):
    """Until the worker says it is ready: a task's deadline must not pay its start-up."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        assert process.poll() is None, "the celery worker exited"
        output.seek(0)
        if " ready." in output.read():
            return
        time.sleep(0.2)
    raise AssertionError(f"the celery worker was not ready within {DEADLINE} s")


@contextmanager
def celery_worker(queue, **env):
    """A ``celery worker`` process serving ``queue`` on this test database."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": celery_app.BROKER_URL,
        "FLOWSCOPE_TRANSPORT": "thread",
        "DJANGO_SETTINGS_MODULE": "ecommerce_project.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "example")]),
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "tests.flowscope.capture.celery_app"]
    options = ["--pool=solo", "--queues", queue, "--without-gossip", "--without-mingle"]
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [*command, "worker", *options, "--loglevel=INFO"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_ready(process, output)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=60)
            output.seek(0)
            print(output.read())  # shown when a test failed


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    with celery_worker(QUEUE) as process:
        yield process
    with celery_app.app.connection_for_write() as broker:
        broker.default_channel.queue_purge(QUEUE)  # what a failed test left


def wait_for(condition, what, worker, seconds=DEADLINE):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise AssertionError("the celery worker exited")
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def task_step(correlation_id, worker, name):
    """The run of task ``name`` in the workflow, once the worker has written it."""
    steps = TraceStep.objects.filter(
        workflow__correlation_id=correlation_id, layer="task", name=f"{celery_app.__name__}.{name}"
    )
    return wait_for(steps.first, f"the {name} task's step", worker)


def children(step):
    return list(TraceStep.objects.filter(parent_span_id=step.span_id).order_by("started_at"))


def test_a_task_sent_by_a_request_runs_in_its_workflow(client, worker, real_recorder):
    response = client.post(
        "/orders/send/look_up/?arg=alice", headers={"X-Correlation-ID": "order-7-confirm"}
    )
    assert response.status_code == 200
    step = task_step("order-7-confirm", worker, "look_up")
    assert real_recorder.flush(30)
    workflow = WorkflowSession.objects.get(correlation_id="order-7-confirm")
    api = workflow.steps.get(layer="api")
    assert step.parent_span_id == api.span_id  # under the request that sent it
    assert step.status == "ok"
    assert step.metadata["task_id"] == response.json()["task_id"]
    assert (step.metadata["state"], step.metadata["queue"]) == ("SUCCESS", QUEUE)
    # MySQL: Django's server probe on the worker's new connection is recorded too (a known
    # gap: connection set-up should not count as the task's query).
    inside = [s for s in children(step) if "@@sql_mode" not in s.metadata.get("sql", "")]
    assert [s.layer for s in inside] == ["database", "database", "cache", "cache"]
    assert "auth_user" in inside[0].metadata["sql"]
    assert (workflow.request_count, workflow.status) == (1, "in_progress")


def test_a_failing_task_fails_the_workflow(client, worker, real_recorder):
    client.post("/orders/send/fail/?arg=7", headers={"X-Correlation-ID": "order-7-failed"})
    step = task_step("order-7-failed", worker, "fail")
    workflow = wait_for(
        lambda: WorkflowSession.objects.filter(
            correlation_id="order-7-failed", status="failed"
        ).first(),
        "the failed workflow",
        worker,
    )
    assert step.status == "error" and step.metadata["state"] == "FAILURE"
    error = ErrorLog.objects.get(workflow=workflow)
    assert (error.layer, error.error_type, error.severity) == ("task", "RuntimeError", "error")
    assert "could not be rendered" in error.message
    assert error.request_context["task"] == step.name
    task_frame = next(f for f in error.stack_trace if f["function"] == "fail")
    assert task_frame["locals"] == {"order": "'7'"}  # as the request's query gave it
    assert "raise RuntimeError" in task_frame["context_line"]
    render = TraceStep.objects.get(workflow=workflow, name="email.render")
    assert error.step_id == render.pk  # the step it escaped from, inside the task
    assert render.parent_span_id == step.span_id
    assert [s.layer for s in children(render)] == ["database"]


def test_an_expected_exception_fails_the_step_not_the_workflow(client, worker, real_recorder):
    client.post("/orders/send/expected_miss/", headers={"X-Correlation-ID": "order-8"})
    step = task_step("order-8", worker, "expected_miss")
    assert step.status == "error"
    assert real_recorder.flush(30)
    error = ErrorLog.objects.get(workflow__correlation_id="order-8")
    assert (error.error_type, error.severity) == ("LookupError", "warning")
    assert WorkflowSession.objects.get(correlation_id="order-8").status == "in_progress"


def test_a_task_log_warning_is_an_error_of_the_workflow(client, worker, real_recorder):
    client.post("/orders/send/warn/?arg=9", headers={"X-Correlation-ID": "order-9"})
    task_step("order-9", worker, "warn")
    error = ErrorLog.objects.get(workflow__correlation_id="order-9")
    assert (error.error_type, error.severity) == ("log:tests.tasks", "warning")
    assert error.message == "order 9 confirmation delayed"


def test_a_task_sent_by_a_task_stays_in_the_workflow(client, worker, real_recorder):
    client.post("/orders/send/send_look_up/?arg=bob", headers={"X-Correlation-ID": "order-10"})
    first = task_step("order-10", worker, "send_look_up")
    second = task_step("order-10", worker, "look_up")
    assert second.parent_span_id == first.span_id


def test_a_task_sent_outside_a_request_starts_its_own_workflow(worker):
    result = celery_app.look_up.apply_async(("carol",), queue=QUEUE)
    name = f"{celery_app.__name__}.look_up"
    step = wait_for(
        lambda: TraceStep.objects.filter(layer="task", metadata__task_id=result.id).first(),
        "the task's step",
        worker,
    )
    workflow = step.workflow
    assert (step.name, step.parent_span_id) == (name, "")
    assert workflow.metadata["entry_point"] == f"task {name}"
    assert (workflow.request_count, workflow.step_count) == (0, 5)
    assert [s.layer for s in children(step)] == ["database", "database", "cache", "cache"]


def test_tasks_run_the_same_when_flowscope_cannot_record():
    """The worker's flowscope sends to a Redis stream nobody listens on: every record is
    dropped, and the tasks still run, answer and fail as their own."""
    queue = f"{QUEUE}-unrecorded"
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    env = {"FLOWSCOPE_TRANSPORT": "redis", "FLOWSCOPE_STREAM_URL": unreachable}
    with celery_worker(queue, **env):
        found = celery_app.look_up.apply_async(("alice",), queue=queue)
        failed = celery_app.fail.apply_async((7,), queue=queue)
        assert found.get(timeout=DEADLINE) == 0
        with pytest.raises(RuntimeError, match="order 7 could not be rendered"):
            failed.get(timeout=DEADLINE)
    assert not TraceStep.objects.filter(layer="task").exists()
