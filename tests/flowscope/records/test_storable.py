import pytest

from flowscope.records.storable import NOTE, repair, repaired
from flowscope.records.trace import CapturedError, ExternalSpans, Span
from tests.flowscope.factories import make_trace


def test_storable_records_are_left_as_they_are():
    trace = make_trace("plain")
    metadata = trace.root.metadata
    assert repair(trace) is trace
    assert trace.root.metadata is metadata and NOTE not in metadata


def test_each_step_error_and_workflow_says_how_many_characters_were_replaced():
    span = Span(layer="custom", name="a\ud800", metadata={"k\x00": ["\udfff", {"x": "\x00"}]})
    error = CapturedError(
        kind="log",
        layer="custom",
        error_type="E",
        message="\ud800\ud800",
        stack_trace=[{"file": "caf\udce9.py", "line": 1}],
    )
    record = ExternalSpans(
        correlation_id="c",
        spans=[span, Span(layer="custom", name="fine")],
        errors=[error],
        workflow_metadata={"entry_point": "x\x00"},
    )
    repair(record)
    assert span.name == "a\ufffd"
    assert span.metadata == {"k\ufffd": ["\ufffd", {"x": "\ufffd"}], NOTE: 4}
    assert NOTE not in record.spans[1].metadata
    assert (error.message, error.stack_trace[0]["file"]) == ("\ufffd\ufffd", "caf\ufffd.py")
    assert error.request_context == {NOTE: 3}
    assert record.workflow_metadata == {"entry_point": "x\ufffd", NOTE: 1}


def test_a_lone_error_is_repaired_too():
    error = CapturedError(kind="log", layer="custom", error_type="E", message="\x00")
    repair(error)
    assert (error.message, error.request_context) == ("\ufffd", {NOTE: 1})


@pytest.mark.parametrize(
    "value, expected, count",
    [
        ("plain", "plain", 0),
        ("😀 \ud83d\ude00", "😀 \ufffd\ufffd", 2),  # a pair written as two code points
        ({"a": ("\x00",)}, {"a": ["\ufffd"]}, 1),
        (7, 7, 0),
    ],
)
def test_repaired_values(value, expected, count):
    assert repaired(value) == (expected, count)
