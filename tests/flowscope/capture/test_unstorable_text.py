"""Text no store can hold (lone surrogates, NUL) never costs a trace: it is stored as
U+FFFD and the step, error or workflow says how many characters were replaced. Written by
the real recorder to the configured database (SQLite, or PostgreSQL, which refuses both)."""

import contextlib
import json
import logging

import pytest
from django.core.cache import cache
from django.http import JsonResponse
from django.test import Client
from django.urls import include, path

import flowscope
from flowscope.models import ErrorLog, TraceStep, WorkflowSession
from flowscope.records.storable import NOTE

INGEST_KEY = "unstorable-test-key"
LONE = "\ud800"  # what json.loads makes of the escape "\ud800" with no low half after it


def poisoned_view(request):
    with contextlib.suppress(Exception):  # a Redis cache refuses such a key; the step stays
        cache.get(f"key-{LONE}-\x00")
    with flowscope.step(f"step {LONE}", note="a\x00b", **{f"k{LONE}": 1}):
        pass
    logging.getLogger("tests.unstorable").warning("bad input %s and \x00", LONE)
    raise ValueError(f"cannot take 'a{LONE}b'")


def echo_view(request):
    return JsonResponse({"ok": True}, status=400)


urlpatterns = [
    path("poisoned/", poisoned_view),
    path("echo/", echo_view),
    path("api/v1/", include("shop.urls")),
    path("api/v1/debugging/", include("flowscope.urls")),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def ingest_key(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_KEYS": [INGEST_KEY]}


def api_step(route):
    return TraceStep.objects.get(layer="api", name=route)


def test_a_login_with_a_lone_surrogate_is_stored_replaced_and_noted(real_recorder):
    body = '{"username": "a\\ud800b", "password": "x\\ud800"}'  # the JSON escapes, unpaired
    response = Client(raise_request_exception=False).post(
        "/api/v1/auth/login/", body, content_type="application/json"
    )
    assert response.status_code < 600
    assert real_recorder.flush(10)
    step = api_step("POST /api/v1/auth/login/")
    assert step.metadata["request_body"] == {"username": "a\ufffdb", "password": "[Filtered]"}
    assert step.metadata[NOTE] == 1
    assert real_recorder.snapshot()["dropped"] == 0


def test_a_large_body_with_lone_surrogates_is_stored_as_a_preview(settings, real_recorder):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MAX_BODY_BYTES": 64}
    note = "\\ud800" + "é" * 100  # a cut may fall inside a two-byte character too
    Client().post("/echo/", f'{{"note": "{note}"}}', content_type="application/json")
    assert real_recorder.flush(10)
    body = api_step("POST /echo/").metadata["request_body"]
    assert body["_truncated"] is True
    assert body["preview"].startswith('{"note": "\ufffdéé')
    assert api_step("POST /echo/").metadata[NOTE] == 1


def test_every_text_of_a_request_is_made_storable(real_recorder):
    response = Client(raise_request_exception=False).get("/poisoned/", {"q": "a\x00b"})
    assert response.status_code == 500
    assert real_recorder.flush(10)
    workflow = WorkflowSession.objects.get()
    steps = {step.layer: step for step in TraceStep.objects.filter(workflow=workflow)}
    custom = steps["custom"]
    assert custom.name == "step \ufffd"
    assert custom.metadata["note"] == "a\ufffdb" and "k\ufffd" in custom.metadata
    assert custom.metadata[NOTE] == 2  # the name's and the key's (the scrubber took the NUL)
    assert steps["cache"].metadata["key"] == "key-\ufffd-\ufffd"
    assert steps["cache"].metadata[NOTE] == 2
    messages = sorted(ErrorLog.objects.values_list("message", flat=True))
    assert "bad input \ufffd and \ufffd" in messages
    assert "cannot take 'a\ufffdb'" in messages
    assert all(error.request_context[NOTE] >= 1 for error in ErrorLog.objects.all())
    assert real_recorder.snapshot()["dropped"] == 0


def send_events(*events):
    body = json.dumps({"events": list(events)}).replace("LONE", "\\ud800")
    return Client().post(
        "/api/v1/debugging/ingest/",
        body.replace("NUL", "\\u0000"),
        content_type="application/json",
        HTTP_X_FLOWSCOPE_KEY=INGEST_KEY,
    )


def browser_step(name, **metadata):
    return {
        "type": "step",
        "correlation_id": "surrogate-events",
        "name": name,
        "duration_ms": 5,
        "metadata": metadata,
    }


def test_browser_event_metadata_with_lone_surrogates_is_stored_replaced_and_noted(
    real_recorder,
):
    response = send_events(browser_step("click", label="LONE and NUL", **{"kLONE": 1}))
    assert response.status_code == 202, response.content
    assert real_recorder.flush(10)
    step = TraceStep.objects.get(layer="frontend")
    assert step.metadata["label"] == "\ufffd and \ufffd"
    assert step.metadata["k\ufffd"] == 1
    assert step.metadata[NOTE] == 2  # the lone surrogates (the scrubber took the NUL)


def test_a_browser_event_named_with_a_lone_surrogate_is_refused_by_name():
    response = send_events(browser_step("ok"), browser_step("click LONE"))
    assert response.status_code == 400
    assert response.json()["accepted"] == 1
    (rejected,) = response.json()["rejected"]
    assert rejected["index"] == 1 and "name" in rejected["errors"]


def test_an_otlp_json_string_with_a_lone_surrogate_is_refused_as_invalid():
    """OTLP strings are UTF-8: protobuf cannot even hold this one, so the export is a 400
    that names it (the exporter is told), not a silent loss."""
    body = (
        '{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", '
        '"value": {"stringValue": "a\\ud800"}}]}}]}'
    )
    response = Client().post(
        "/api/v1/debugging/otlp/v1/traces",
        body,
        content_type="application/json",
        HTTP_X_FLOWSCOPE_KEY=INGEST_KEY,
    )
    assert response.status_code == 400
    assert "surrogate" in response.json()["message"]
