"""What an ingest request delivers is stored once or not at all: a refused request (503)
stores nothing, and a request sent again (the same body, or the same Idempotency-Key)
stores nothing twice."""

import pytest
from django.test import Client

from flowscope.models import ErrorLog, TraceStep, WorkflowSession
from flowscope.testing import use_recorder
from tests.flowscope.ingest.test_browser_events import CID, KEY, URL, step
from tests.flowscope.ingest.test_otlp import PATH, raw_request

pytestmark = pytest.mark.django_db(transaction=True)  # the writer thread must see the rows


@pytest.fixture(autouse=True)
def ingest_settings(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_KEYS": [KEY], "INGEST_RATE": "1000/s"}


def error_event(correlation_id=CID):
    return {
        "type": "error",
        "correlation_id": correlation_id,
        "error_type": "TypeError",
        "message": "cart is undefined",
    }


def send_events(events, **headers):
    return Client().post(
        URL,
        {"events": events},
        content_type="application/json",
        HTTP_X_FLOWSCOPE_KEY=KEY,
        **headers,
    )


def send_spans(body, **headers):
    return Client().post(
        PATH, body, content_type="application/x-protobuf", HTTP_X_FLOWSCOPE_KEY=KEY, **headers
    )


def stored(correlation_id):
    workflow = WorkflowSession.objects.get(correlation_id=correlation_id)
    return {
        "requests": workflow.request_count,
        "steps": workflow.step_count,
        "errors": workflow.error_count,
        "step rows": TraceStep.objects.filter(workflow=workflow).count(),
        "error rows": ErrorLog.objects.filter(workflow=workflow).count(),
    }


def test_a_refused_request_stores_nothing_and_its_retry_is_stored(settings):
    # Room for two records, and a writer that sleeps until it is flushed.
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "QUEUE_SIZE": 2,
        "FLUSH_INTERVAL": 3600,
        "BATCH_SIZE": 1000,
    }
    two_workflows = [step(correlation_id="wf-a"), error_event("wf-b")]
    with use_recorder() as recorder:
        assert send_events([step()]).status_code == 202  # one record queued
        refused = send_events(two_workflows)
        assert (refused.status_code, refused["Retry-After"]) == (503, "1")
        assert recorder.flush(30)
        assert list(WorkflowSession.objects.values_list("correlation_id", flat=True)) == [CID]
        assert recorder.snapshot()["refused"] == 2
        assert recorder.snapshot()["dropped"] == 0
        assert send_events(two_workflows).status_code == 202
        assert recorder.flush(30)
    assert sorted(WorkflowSession.objects.values_list("correlation_id", flat=True)) == sorted(
        [CID, "wf-a", "wf-b"]
    )
    assert ErrorLog.objects.get().workflow.correlation_id == "wf-b"


def test_browser_events_sent_again_are_stored_once():
    events = [step(workflow_type="checkout"), error_event(), step(span_id="00f067aa0ba902b8")]
    with use_recorder() as recorder:
        assert send_events(events).status_code == 202
        assert send_events(events).status_code == 202  # a retry, still queued with the first
        assert recorder.flush(30)
        assert send_events(events).status_code == 202  # a retry of a written request
        assert recorder.flush(30)
    assert stored(CID) == {"requests": 0, "steps": 2, "errors": 1, "step rows": 2, "error rows": 1}


def test_spans_sent_again_are_stored_once():
    server_span = raw_request()
    server_span.resource_spans[0].scope_spans[0].spans[0].kind = 2  # SPAN_KIND_SERVER
    body = server_span.SerializeToString()
    with use_recorder() as recorder:
        assert send_spans(body).status_code == 200
        assert recorder.flush(30)
        assert send_spans(body).status_code == 200
        assert recorder.flush(30)
    correlation_id = bytes(range(1, 17)).hex()
    assert stored(correlation_id) == {
        "requests": 1,
        "steps": 1,
        "errors": 0,
        "step rows": 1,
        "error rows": 0,
    }


def test_the_same_idempotency_key_stores_once_whatever_the_body():
    first = [step(), error_event()]
    other = [step(name="GET /api/v1/cart/", span_id="00f067aa0ba902b8")]
    with use_recorder() as recorder:
        assert send_events(first, HTTP_IDEMPOTENCY_KEY="delivery-17").status_code == 202
        assert recorder.flush(30)
        assert send_events(other, HTTP_IDEMPOTENCY_KEY="delivery-17").status_code == 202
        assert send_events(other, HTTP_IDEMPOTENCY_KEY="delivery-18").status_code == 202
        assert recorder.flush(30)
    names = sorted(TraceStep.objects.values_list("name", flat=True))
    assert names == ["GET /api/v1/cart/", "POST /api/v1/orders/checkout/"]
    assert stored(CID)["errors"] == 1
