"""The fast path for a batch of browser events takes only what the serializers accept, and
makes of it what they make: any other batch goes to the per-event path."""

import json
import time

import pytest

from flowscope.ingest import batch, events
from tests.flowscope.ingest.test_browser_events import CID, step


def error(**fields):
    return {"type": "error", "correlation_id": CID, "error_type": "E", "message": "m", **fields}


def vital(**fields):
    return {"type": "vital", "correlation_id": CID, "name": "LCP", "value": 1, **fields}


def deep(levels):
    value = {}
    for _ in range(levels):
        value = {"x": value}
    return value


VARIANTS = [
    step(),
    step(started_at=None),
    step(started_at="2026-12-04T12:00:00"),  # no time zone
    step(started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
    step(started_at=True),
    step(started_at=0),
    step(duration_ms="12"),
    step(duration_ms=3_600_001),
    step(duration_ms=0),
    step(name=" padded "),
    step(name=""),
    step(name="x" * 501),
    step(name="nul\x00"),
    step(status="broken"),
    step(span_id="00F067AA0BA902B7"),
    step(parent_span_id=""),
    step(parent_span_id="  "),
    step(complete=1),
    step(complete=True, workflow_type="checkout"),
    step(workflow_type=""),
    step(correlation_id="bad id"),
    step(correlation_id=17),
    step(metadata=None),
    step(metadata={"nested": deep(28)}),
    step(metadata={"nested": deep(29)}),
    step(unknown="field"),
    error(),
    error(message=""),
    error(message=" padded"),
    error(severity="critical", stack="a@http://x/a.js:1:2"),
    error(severity="fatal"),
    vital(),
    vital(value=-1),
    vital(value="1"),
    {"type": "nope", "correlation_id": CID},
    {"correlation_id": CID},
    "not an object",
]


def serializers_answer(raw):
    valid, errors = events.validate(raw)
    return None if errors else dict(valid)


@pytest.mark.parametrize("raw", VARIANTS, ids=[repr(v)[:60] for v in VARIANTS])
def test_the_fast_path_takes_only_what_the_serializers_accept_and_as_they_do(raw):
    fast = batch.decode(json.dumps({"events": [raw]}).encode())
    slow = serializers_answer(json.loads(json.dumps(raw)))
    if fast is None:
        return  # judged by the serializers, whatever they say
    assert slow is not None, "the fast path took an event the serializers refuse"
    (taken,) = fast
    for key, value in slow.items():
        assert taken[key] == value, key
    assert not any(value for key, value in taken.items() if key not in slow and key != "complete")


def test_a_plain_sdk_batch_takes_the_fast_path():
    raw = [step(), error(), vital(), step(complete=True, parent_span_id="")]
    assert len(batch.decode(json.dumps({"events": raw}).encode())) == 4


@pytest.mark.parametrize(
    "body", [b'{"events": [], "extra": 1}', b'{"events": {}}', b"[]", b"\xff", b"{"]
)
def test_other_bodies_go_to_the_per_event_path(body):
    assert batch.decode(body) is None
