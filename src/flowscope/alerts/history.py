"""The alert history: a firing is claimed in the store, so that one process, whichever
inserts the claim first, sends it; every other firing of the same rule and subject within
the cooldown (in any process) is counted on that row as a repeat."""

import hashlib

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from flowscope.models import AlertEvent


def claim_key(firing, at):
    """The rule, the subject and the cooldown period ``at`` falls in (a new error group:
    no period, it is new once)."""
    rule = firing.rule
    period = "once" if firing.once else str(int(at.timestamp()) // rule.cooldown_seconds)
    text = "\x00".join((rule.name, firing.subject, period))
    return hashlib.sha256(text.encode()).hexdigest()


def record(firing, at, deliveries):
    """The new ``AlertEvent`` when this firing is the first of its period (the caller sends
    it), else None: a repeat, counted on the row that was sent."""
    key = claim_key(firing, at)
    try:
        with transaction.atomic():
            return AlertEvent.objects.create(
                rule=firing.rule.name,
                kind=firing.rule.kind,
                subject=firing.subject[:255],
                claim_key=key,
                value=firing.value,
                threshold=firing.threshold,
                unit=firing.unit,
                message=firing.message,
                details=firing.details,
                first_fired_at=at,
                last_fired_at=at,
                deliveries=deliveries,
            )
    except IntegrityError:
        AlertEvent.objects.filter(claim_key=key).update(
            repeats=F("repeats") + 1, last_fired_at=Greatest("last_fired_at", at)
        )
        return None


def save_deliveries(event):
    AlertEvent.objects.filter(pk=event.pk).update(deliveries=event.deliveries)
