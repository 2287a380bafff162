"""Browser events (see docs/ingest.md): validated one by one, then grouped per workflow
into ``ExternalSpans`` for the recorder, scrubbed first like everything stored."""

import re
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from flowscope.conf import flowscope_settings
from flowscope.records import correlation
from flowscope.records.scrubbing import scrub, scrub_text
from flowscope.records.trace import CapturedError, ExternalSpans, Span, new_span_id

SPAN_ID = r"\A[0-9a-f]{16}\Z"
MAX_CLOCK_SKEW = timedelta(hours=24)
# "fn@https://host/app.js:10:5" (Firefox, Safari) or "at fn (https://host/app.js:10:5)"
JS_FRAME = re.compile(
    r"^\s*(?:at\s+)?(?:(?P<fn>[^@(]*?)\s*[@(])?(?P<url>\S+?):(?P<line>\d+):\d+\)?\s*$"
)


def moment(data):
    """An event's time: epoch milliseconds (``Date.now()``) or ISO 8601, within a day of
    now; ``ValueError("invalid")`` or ``ValueError("skewed")`` otherwise."""
    if isinstance(data, bool):
        raise ValueError("invalid")
    if isinstance(data, int | float):
        try:
            found = datetime.fromtimestamp(data / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("skewed") from None
    else:
        found = parse_datetime(str(data)) if isinstance(data, str) else None
        if found is None or found.tzinfo is None:
            raise ValueError("invalid")
    if abs(found - timezone.now()) > MAX_CLOCK_SKEW:
        raise ValueError("skewed")
    return found.astimezone(UTC)


class TimestampField(serializers.Field):
    """Epoch milliseconds (``Date.now()``) or ISO 8601, within a day of now."""

    default_error_messages = {
        "invalid": "Use epoch milliseconds or an ISO 8601 time.",
        "skewed": "Must be within 24 hours of now.",
    }

    def to_internal_value(self, data):
        try:
            return moment(data)
        except ValueError as exc:
            self.fail(str(exc))


class EventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(["step", "error", "vital"])
    correlation_id = serializers.RegexField(rf"\A{correlation.CORRELATION_ID.pattern}\Z")
    workflow_type = serializers.RegexField(
        rf"\A{correlation.WORKFLOW_TYPE.pattern}\Z", required=False
    )
    started_at = TimestampField(required=False)
    metadata = serializers.DictField(required=False)
    journey_id = serializers.RegexField(rf"\A{correlation.JOURNEY_ID.pattern}\Z", required=False)
    # The release of the page's code (the SDK's ``release`` option); the workflow's when
    # no serving process tagged it first.
    release = serializers.CharField(max_length=64, required=False)


class StepEventSerializer(EventSerializer):
    name = serializers.CharField(max_length=500)
    duration_ms = serializers.FloatField(min_value=0, max_value=3_600_000)
    status = serializers.ChoiceField(["ok", "error"], default="ok")
    span_id = serializers.RegexField(SPAN_ID, required=False)
    parent_span_id = serializers.RegexField(SPAN_ID, required=False, allow_blank=True)
    complete = serializers.BooleanField(default=False)


class ErrorEventSerializer(EventSerializer):
    error_type = serializers.CharField(max_length=255)
    message = serializers.CharField(max_length=10_000, allow_blank=True)
    stack = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    severity = serializers.ChoiceField(["warning", "error", "critical"], default="error")


class VitalEventSerializer(EventSerializer):
    name = serializers.CharField(max_length=100)
    value = serializers.FloatField(min_value=0)


SERIALIZERS = {
    "step": StepEventSerializer,
    "error": ErrorEventSerializer,
    "vital": VitalEventSerializer,
}


def validate(event):
    """``(validated_data, None)`` or ``(None, errors)`` for one event."""
    if not isinstance(event, dict):
        return None, {"non_field_errors": ["An event is a JSON object."]}
    serializer = SERIALIZERS.get(event.get("type"), EventSerializer)(data=event)
    if serializer.is_valid() and event.get("type") in SERIALIZERS:
        return serializer.validated_data, None
    return None, serializer.errors or {"type": ['"step", "error" or "vital".']}


def to_records(events):
    """Group validated events by correlation ID into ``ExternalSpans``."""
    records = {}
    for event in events:
        cid = event["correlation_id"]
        record = records.get(cid)
        if record is None:
            record = records[cid] = ExternalSpans(
                correlation_id=cid,
                spans=[],
                workflow_metadata={"entry_point": "browser"},
                sampled=correlation.is_sampled(cid, flowscope_settings.SAMPLE_RATE),
            )
        record.workflow_type = record.workflow_type or event.get("workflow_type", "")
        record.journey_id = record.journey_id or event.get("journey_id", "")
        record.release = record.release or scrub_text(event.get("release", ""))
        ADD[event["type"]](record, event)
    return list(records.values())


def _metadata(event):
    return scrub(event.get("metadata") or {})


def _add_step(record, event):
    record.complete = record.complete or event["complete"]
    record.spans.append(
        Span(
            layer="frontend",
            name=scrub_text(event["name"]),  # a step may be named after a URL
            span_id=event.get("span_id") or new_span_id(),
            parent_span_id=event.get("parent_span_id", ""),
            started_at=event.get("started_at") or timezone.now(),
            duration_ms=event["duration_ms"],
            status=event["status"],
            metadata=_metadata(event),
        )
    )


def _add_vital(record, event):
    name = scrub_text(event["name"])
    record.spans.append(
        Span(
            layer="frontend",
            name=f"vital.{name}",
            started_at=event.get("started_at") or timezone.now(),
            duration_ms=event["value"],
            metadata={**_metadata(event), "vital": name, "value": event["value"]},
        )
    )


def _add_error(record, event):
    record.errors.append(
        CapturedError(
            kind="exception",
            layer="frontend",
            error_type=event["error_type"],
            message=scrub_text(event["message"]),
            severity=event["severity"],
            stack_trace=js_frames(event.get("stack", "")),
            created_at=event.get("started_at") or timezone.now(),
            request_context=_metadata(event),
        )
    )


ADD = {"step": _add_step, "vital": _add_vital, "error": _add_error}


def js_frames(stack):
    """A browser stack trace as frames, innermost last (as Python tracebacks are)."""
    frames = []
    for line in stack.splitlines()[:50]:
        match = JS_FRAME.match(line)
        if match and match["url"].startswith(("http", "/", "webpack", "file")):
            frames.append(
                {
                    "file": scrub_text(match["url"].split("?")[0]),
                    "line": int(match["line"]),
                    "function": (match["fn"] or "?").strip(),
                    "in_app": True,
                    "code": "",
                }
            )
    return frames[::-1]
