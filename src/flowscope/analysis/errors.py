"""Error occurrences as stored: lists, one with its context, counts over a period, and the
latest stored since a moment. Grouping by fingerprint is ``error_groups``."""

from django.db.models import Count

from flowscope.analysis import error_groups
from flowscope.models import ErrorLog

CHANGE_FIELDS = (
    "id",
    "fingerprint",
    "error_type",
    "message",
    "severity",
    "layer",
    "created_at",
    "workflow__correlation_id",
)


def occurrences():
    """Every occurrence with its workflow and step, newest first."""
    return ErrorLog.objects.select_related("workflow", "step").order_by("-created_at")


def with_context():
    """Occurrences with their workflow (and its user) and step, for one to be read whole."""
    return ErrorLog.objects.select_related("workflow__user", "step")


def of_fingerprint(fingerprint):
    return ErrorLog.objects.filter(fingerprint=fingerprint)


def mark_group(fingerprint, resolved):
    """Resolve or reopen every occurrence of ``fingerprint``: the one change a user makes
    to recorded data. Answers the group as it now stands."""
    occurrences = of_fingerprint(fingerprint)
    occurrences.update(resolved=resolved)
    (described,) = error_groups.describe(error_groups.grouped(occurrences))
    return described


def recorded_since(since, limit):
    """The latest ``limit`` stored since ``since``, as dicts of CHANGE_FIELDS."""
    return list(
        ErrorLog.objects.filter(recorded_at__gte=since)
        .order_by("-created_at")
        .values(*CHANGE_FIELDS)[:limit]
    )


def in_period(start, end):
    return ErrorLog.objects.filter(created_at__gte=start, created_at__lt=end)


def count(start, end):
    return in_period(start, end).count()


def count_by(start, end, field):
    """``[{field: value, "count": n}]``, most frequent first."""
    return list(
        in_period(start, end).values(field).annotate(count=Count("id")).order_by("-count", field)
    )


def top_groups(start, end, limit):
    """The ``limit`` groups seen most recently in ``[start, end)``, described."""
    return error_groups.describe(error_groups.grouped(in_period(start, end))[:limit])


def recent_groups(since, limit):
    return error_groups.describe(
        error_groups.grouped(ErrorLog.objects.filter(created_at__gte=since))[:limit]
    )
