"""Delete stored traces, errors, rollups, delivery receipts and alerts older than a given
age.

Deletes in small batches, each in its own short transaction, so it can run while the app is
serving (and the recorder writing) without holding long locks.
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from flowscope.conf import flowscope_settings
from flowscope.models import (
    AlertEvent,
    DeliveryReceipt,
    ErrorLog,
    PerformanceSnapshot,
    TraceStep,
    WorkflowSession,
)

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
AGE = re.compile(r"(\d+)([smhdw])")


def parse_age(text):
    match = AGE.fullmatch(str(text).strip())
    if not match:
        raise CommandError(
            f"Invalid age {text!r}: use a number and a unit (s, m, h, d, w), e.g. 7d or 12h."
        )
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def delete_in_batches(queryset, batch_size):
    """Delete the rows of ``queryset`` a batch at a time; return how many went."""
    total = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True)[:batch_size])
            if not ids:
                return total
            queryset.model.objects.filter(pk__in=ids).delete()
        total += len(ids)


class Command(BaseCommand):
    help = "Delete flowscope data older than --older-than (default: FLOWSCOPE['RETENTION'])."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", default=None, help="e.g. 7d, 12h, 30m")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, older_than=None, batch_size=1000, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        age = flowscope_settings.RETENTION if older_than is None else older_than
        cutoff = timezone.now() - parse_age(age)
        old_workflows = WorkflowSession.objects.filter(last_activity_at__lt=cutoff)
        counts = {
            # Steps and errors first, so deleting a workflow never cascades over many rows.
            "steps": delete_in_batches(
                TraceStep.objects.filter(workflow__in=old_workflows), batch_size
            ),
            "errors": delete_in_batches(ErrorLog.objects.filter(created_at__lt=cutoff), batch_size),
            "workflows": delete_in_batches(old_workflows, batch_size),
            "snapshots": delete_in_batches(
                PerformanceSnapshot.objects.filter(window_start__lt=cutoff), batch_size
            ),
            # Past this age a retried delivery is stored again: as old as the data it kept.
            "receipts": delete_in_batches(
                DeliveryReceipt.objects.filter(written_at__lt=cutoff), batch_size
            ),
            "alerts": delete_in_batches(
                AlertEvent.objects.filter(last_fired_at__lt=cutoff), batch_size
            ),
        }
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Deleted data older than {cutoff.isoformat()}: {summary}.")
