"""What the store gives back is what was recorded, on every database: correlation IDs that
differ in case only, 4-byte characters, microseconds, long text. (MySQL and MariaDB compare
text without case by default, and hold 4-byte characters only in utf8mb4.)"""

from datetime import timedelta

import pytest

from flowscope.models import ErrorLog, TraceStep, WorkflowSession
from flowscope.recording import writer
from tests.flowscope.factories import T0, make_error, make_span, make_trace

pytestmark = pytest.mark.django_db


def test_correlation_ids_that_differ_in_case_are_two_workflows():
    writer.write([make_trace("Order-7", workflow_type="checkout")])
    writer.write([make_trace("order-7", workflow_type="login"), make_trace("ORDER-7")])
    writer.write([make_trace("order-7", at=T0 + timedelta(seconds=1), complete=True)])
    stored = {w.correlation_id: w for w in WorkflowSession.objects.all()}
    assert set(stored) == {"Order-7", "order-7", "ORDER-7"}
    assert stored["Order-7"].workflow_type == "checkout"
    assert (stored["order-7"].workflow_type, stored["order-7"].status) == ("login", "completed")
    assert stored["order-7"].request_count == 2
    assert WorkflowSession.objects.get(correlation_id="ORDER-7").request_count == 1


def test_four_byte_characters_are_kept_in_names_metadata_and_errors():
    text = "checkout \U0001f6d2 für \U0001f600 \U00020000"  # cart, grinning face, CJK
    span = make_span("database", f"SELECT '{text}'", sql=f"SELECT '{text}'")
    writer.write(
        [make_trace(name=f"GET /{text}/", spans=[span], errors=[make_error(message=text)])]
    )
    names = set(TraceStep.objects.values_list("name", flat=True))
    assert names == {f"GET /{text}/", f"SELECT '{text}'"}
    assert TraceStep.objects.get(layer="database").metadata["sql"] == f"SELECT '{text}'"
    assert ErrorLog.objects.get().message == text


def test_times_keep_their_microseconds():
    at = T0 + timedelta(microseconds=123_457)
    writer.write([make_trace(at=at, spans=[make_span("cache", "cache.get", at=at)])])
    started = {step.started_at for step in TraceStep.objects.all()}
    assert started == {at, at + timedelta(milliseconds=1)}
    assert WorkflowSession.objects.get().started_at == at


def test_long_text_is_kept_whole():
    message = "x" * 9_000 + "🛒"
    writer.write([make_trace(errors=[make_error(message=message)])])
    assert ErrorLog.objects.get().message == message
