"""A batch of browser events validated in one go: one ``msgspec`` decode of the body into
typed events, instead of ``json.loads`` and a DRF serializer for every event (which cost
four times the rest of the request).

Only a batch that is valid as a whole, in the plain form the SDK sends, passes here; for
anything else ``decode`` answers None and the view takes the per-event path of ``events``,
whose answer names each invalid event. So the rules below are the serializers' rules and
never looser: a value a serializer would coerce (``"12"`` for a number, padded text, an
unknown field) fails here and is judged there.
"""

from typing import Annotated, Any, Literal

import msgspec

from flowscope.api import parsers
from flowscope.ingest import events
from flowscope.records import correlation

CorrelationId = Annotated[str, msgspec.Meta(pattern=rf"\A{correlation.CORRELATION_ID.pattern}\Z")]
WorkflowType = Annotated[str, msgspec.Meta(pattern=rf"\A{correlation.WORKFLOW_TYPE.pattern}\Z")]
SpanId = Annotated[str, msgspec.Meta(pattern=events.SPAN_ID)]
ParentSpanId = Annotated[str, msgspec.Meta(pattern=rf"{events.SPAN_ID}|\A\Z")]
# The body nests three levels ({"events": [{...}]}) above an event's metadata.
MAX_METADATA_NESTING = parsers.MAX_NESTING - 3


def text(max_length, min_length=1):
    return Annotated[str, msgspec.Meta(min_length=min_length, max_length=max_length)]


class Event(msgspec.Struct, tag_field="type", kw_only=True, forbid_unknown_fields=True):
    correlation_id: CorrelationId
    workflow_type: WorkflowType = ""  # the default is not checked; an empty one sent is
    started_at: int | float | str | msgspec.UnsetType = msgspec.UNSET  # None once checked
    metadata: dict[str, Any] = {}

    def __post_init__(self):
        for value in self.texts():
            if value != value.strip() or "\x00" in value:  # the serializers trim or refuse
                raise ValueError("text for the serializers to judge")
        sent = self.started_at is not msgspec.UNSET
        self.started_at = events.moment(self.started_at) if sent else None
        nested = any(isinstance(v, dict | list) for v in self.metadata.values())
        if nested and parsers.nesting(self.metadata) > MAX_METADATA_NESTING:
            raise ValueError("nested too deep")

    def texts(self):
        return ()


class StepEvent(Event, tag="step"):
    name: text(500)
    duration_ms: Annotated[float, msgspec.Meta(ge=0, le=3_600_000)]
    status: Literal["ok", "error"] = "ok"
    span_id: SpanId = ""
    parent_span_id: ParentSpanId = ""
    complete: bool = False

    def texts(self):
        return (self.name,)


class ErrorEvent(Event, tag="error"):
    error_type: text(255)
    message: text(10_000, min_length=0)
    stack: text(20_000, min_length=0) = ""
    severity: Literal["warning", "error", "critical"] = "error"

    def texts(self):
        return (self.error_type, self.message, self.stack)


class VitalEvent(Event, tag="vital"):
    name: text(100)
    value: Annotated[float, msgspec.Meta(ge=0)]

    def texts(self):
        return (self.name,)


class Batch(msgspec.Struct, forbid_unknown_fields=True):
    events: list[StepEvent | ErrorEvent | VitalEvent]


TYPES = {StepEvent: "step", ErrorEvent: "error", VitalEvent: "vital"}
_decoder = msgspec.json.Decoder(Batch)


def decode(body):
    """The events of a body that is valid as a whole, each as a serializer's validated
    data would be; None for any other body."""
    try:
        batch = _decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return None
    found = []
    for event in batch.events:
        validated = msgspec.structs.asdict(event)
        validated["type"] = TYPES[type(event)]
        found.append(validated)
    return found
