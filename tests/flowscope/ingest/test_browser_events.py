import gzip
import json
import time

import pytest
from django.test import Client

from flowscope.records.trace import ExternalSpans
from flowscope.testing import capture_traces

URL = "/api/v1/debugging/ingest/"
KEY = "test-ingest-key"
CID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture(autouse=True)
def ingest_settings(settings):
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "INGEST_KEYS": [KEY],
        "INGEST_ORIGINS": ["https://shop.example"],
        "INGEST_MAX_BYTES": 4096,
        "INGEST_MAX_EVENTS": 5,
        "INGEST_RATE": "1000/min",
    }


def now_ms():
    return time.time() * 1000


def step(**fields):
    return {
        "type": "step",
        "correlation_id": CID,
        "name": "POST /api/v1/orders/checkout/",
        "started_at": now_ms(),
        "duration_ms": 120.5,
        "span_id": "00f067aa0ba902b7",
        "metadata": {"kind": "fetch", "status_code": 201},
        **fields,
    }


def send(body, key=KEY, **extra):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    headers = {"HTTP_X_FLOWSCOPE_KEY": key} if key else {}
    return Client().post(
        URL, data, content_type=extra.pop("content_type", "application/json"), **headers, **extra
    )


def test_valid_events_are_accepted_and_recorded():
    events = [
        step(workflow_type="checkout", complete=True),
        {
            "type": "error",
            "correlation_id": CID,
            "error_type": "TypeError",
            "message": "cart is undefined",
            "stack": "render@https://shop.example/app.js:10:5\n"
            "    at click (https://shop.example/app.js:20:7)",
            "started_at": now_ms(),
        },
        {"type": "vital", "correlation_id": CID, "name": "LCP", "value": 812.4},
    ]
    with capture_traces() as records:
        response = send({"events": events})
    assert (response.status_code, response.json()) == (202, {"accepted": 3})
    (record,) = records
    assert isinstance(record, ExternalSpans)
    assert (record.correlation_id, record.workflow_type, record.complete) == (CID, "checkout", True)
    fetch, vital = record.spans
    assert (fetch.layer, fetch.name, fetch.span_id, fetch.duration_ms) == (
        "frontend",
        "POST /api/v1/orders/checkout/",
        "00f067aa0ba902b7",
        120.5,
    )
    assert (vital.name, vital.duration_ms) == ("vital.LCP", 812.4)
    (error,) = record.errors
    assert (error.layer, error.error_type, error.message) == (
        "frontend",
        "TypeError",
        "cart is undefined",
    )
    assert [f["function"] for f in error.stack_trace] == ["click", "render"]


def test_a_mixed_batch_accepts_the_valid_and_names_each_invalid_one():
    events = [
        step(),
        step(duration_ms=-1),
        {"type": "nope", "correlation_id": CID},
        step(correlation_id="bad id"),
        "not an object",
    ]
    with capture_traces() as records:
        response = send({"events": events})
    assert response.status_code == 400
    body = response.json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1, 2, 3, 4]
    assert "duration_ms" in body["rejected"][0]["errors"]
    assert "type" in body["rejected"][1]["errors"]
    assert "correlation_id" in body["rejected"][2]["errors"]
    assert len(records[0].spans) == 1


@pytest.mark.parametrize("started_at", [0, "yesterday", now_ms() + 3 * 86_400_000, True])
def test_times_must_be_real_and_recent(started_at):
    response = send({"events": [step(started_at=started_at)]})
    assert response.status_code == 400
    assert "started_at" in response.json()["rejected"][0]["errors"]


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_a_missing_or_wrong_key_is_401(key):
    with capture_traces() as records:
        response = send({"events": [step()]}, key=key)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "X-Flowscope-Key"
    assert records == []


def test_the_key_may_come_in_the_query_for_send_beacon():
    response = Client().post(
        f"{URL}?key={KEY}",
        json.dumps({"events": [step()]}),
        content_type="text/plain;charset=UTF-8",
    )
    assert response.status_code == 202


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("not json at all", "application/json"),
        ('{"events": "nope"}', "application/json"),
        ("[1, 2]", "application/json"),
        ("[" * 50 + "]" * 50, "application/json"),
        ('{"events": [' + "[" * 40 + "]" * 40 + "]}", "application/json"),
    ],
)
def test_bodies_that_are_not_an_event_list_are_400(body, content_type):
    response = send(body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_oversized_bodies_and_batches_are_413():
    big = {"events": [step(metadata={"blob": "x" * 5000})]}
    assert send(big).status_code == 413
    assert send({"events": [step() for _ in range(6)]}).status_code == 413


def test_a_gzip_bomb_is_413_and_gzip_bodies_work():
    ok = gzip.compress(json.dumps({"events": [step()]}).encode())
    assert send(ok, HTTP_CONTENT_ENCODING="gzip").status_code == 202
    bomb = gzip.compress(b'{"events": [' + b" " * 1_000_000 + b"]}")
    assert len(bomb) < 4096
    assert send(bomb, HTTP_CONTENT_ENCODING="gzip").status_code == 413


def test_a_flood_from_one_key_is_throttled(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_RATE": "3/min"}
    answers = [send({"events": [step()]}).status_code for _ in range(5)]
    assert answers == [202, 202, 202, 429, 429]


def test_cors_for_allowed_origins_only():
    preflight = Client().options(
        URL, HTTP_ORIGIN="https://shop.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "X-Flowscope-Key" in preflight["Access-Control-Allow-Headers"]
    allowed = send({"events": [step()]}, HTTP_ORIGIN="https://shop.example")
    assert allowed.status_code == 202
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"


def test_a_valid_key_from_an_origin_not_allowed_is_refused_and_nothing_kept():
    with capture_traces() as records:
        response = send({"events": [step()]}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert response.json()["code"] == "origin_not_allowed"
    assert "INGEST_ORIGINS" in response.json()["detail"]
    assert "Access-Control-Allow-Origin" not in response
    assert records == []


@pytest.mark.parametrize(
    "origin, expected",
    [
        (None, 202),  # a server-side sender
        ("http://testserver", 202),  # the page's own origin
        ("https://testserver", 403),  # another scheme is another origin
        ("http://testserver:8080", 403),
        ("https://shop.example", 403),
        ("null", 403),  # a sandboxed frame or a file
    ],
)
def test_by_default_only_the_own_origin_and_server_side_senders_may_send(
    settings, origin, expected
):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_ORIGINS": []}
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    assert send({"events": [step()]}, **extra).status_code == expected


def test_any_origin_with_a_star(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_ORIGINS": ["*"]}
    assert send({"events": [step()]}, HTTP_ORIGIN="https://any.example").status_code == 202


def test_a_missing_key_is_still_a_401_whatever_the_origin():
    response = send({"events": [step()]}, key=None, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 401


def test_secrets_in_events_are_scrubbed():
    events = [
        step(metadata={"url": "/login?token=abc123", "password": "hunter2"}),
        {
            "type": "error",
            "correlation_id": CID,
            "error_type": "Error",
            "message": "charge failed for 4242 4242 4242 4242",
        },
    ]
    with capture_traces() as records:
        send({"events": events})
    text = repr(records[0].spans[0].metadata) + records[0].errors[0].message
    assert "hunter2" not in text and "abc123" not in text and "4242 4242" not in text


def test_step_and_vital_names_are_scrubbed():
    events = [
        step(name="GET /reset?token=abc123"),
        {"type": "vital", "correlation_id": CID, "name": "card 4242 4242 4242 4242", "value": 1},
    ]
    with capture_traces() as records:
        assert send({"events": events}).status_code == 202
    names = sorted(span.name for span in records[0].spans)
    assert names == ["GET /reset?token=[Filtered]", "vital.card [Filtered card]"]


def test_errors_have_flowscopes_shape_whatever_the_hosts_handler(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
    }
    response = send("not json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


class FullRecorder(list):
    """A recorder whose queue is full: every submit is refused."""

    def submit(self, item):
        return False

    def submit_all(self, items):
        return False


def test_events_the_recorder_drops_are_a_503_to_retry():
    from flowscope.testing import use_recorder

    with use_recorder(FullRecorder()):
        response = send({"events": [step()]})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["code"] == "recorder_full"


def test_events_may_name_the_release_of_the_page():
    with capture_traces() as records:
        response = send({"events": [step(release="web-2026.12.1")]})
    assert response.status_code == 202
    assert records[0].release == "web-2026.12.1"
    refused = send({"events": [step(release="x" * 65)]})
    assert "release" in json.dumps(refused.json())
