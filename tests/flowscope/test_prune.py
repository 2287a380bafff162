from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from flowscope.models import (
    AlertEvent,
    ErrorLog,
    PerformanceSnapshot,
    TraceStep,
    WorkflowSession,
)
from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_span, make_trace

pytestmark = pytest.mark.django_db


def test_prune_deletes_what_is_older_than_the_age_and_keeps_the_rest(capsys):
    now = timezone.now()
    old, new = now - timedelta(days=10), now - timedelta(hours=1)
    writer.write(
        [
            make_trace(
                "old",
                at=old,
                spans=[make_span("database", "SELECT ?", at=old)],
                errors=[make_error()],
            ),
            make_trace("new", at=new, spans=[make_span("database", "SELECT ?", at=new)]),
        ]
    )
    ErrorLog.objects.update(created_at=old)
    for start in (old, new):
        PerformanceSnapshot.objects.create(
            metric="error_rate",
            layer="api",
            component="*",
            source="h:1",
            window_start=start,
            value=0,
        )
        AlertEvent.objects.create(
            rule="slow",
            kind="p95",
            subject="GET /x/",
            claim_key=f"slow-{start}",
            value=1840,
            message="p95 1,840 ms",
            first_fired_at=start,
            last_fired_at=start,
        )
    call_command("flowscope_prune", "--older-than", "7d", "--batch-size", "1")
    assert list(WorkflowSession.objects.values_list("correlation_id", flat=True)) == ["new"]
    assert TraceStep.objects.count() == 2
    assert not ErrorLog.objects.exists()
    assert PerformanceSnapshot.objects.get().window_start == new
    assert AlertEvent.objects.get().last_fired_at == new
    out = capsys.readouterr().out
    assert "2 steps, 1 errors, 1 workflows, 1 snapshots, 0 receipts, 1 alerts" in out


def test_prune_uses_the_retention_setting(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "RETENTION": "30m"}
    writer.write([make_trace("recent", at=timezone.now() - timedelta(hours=1))])
    call_command("flowscope_prune")
    assert not WorkflowSession.objects.exists()


@pytest.mark.parametrize("age", ["7", "seven days", "7y", "-1d", ""])
def test_prune_refuses_a_bad_age(age):
    with pytest.raises(CommandError, match="Invalid age"):
        call_command("flowscope_prune", older_than=age)
