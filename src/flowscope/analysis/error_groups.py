"""Errors grouped by fingerprint: counts and first/last seen aggregated in the database, then
each group of a page described by its latest occurrence (two more queries, whatever the
page's size)."""

from django.db.models import Count, Max, Min, Q

from flowscope.models import ErrorLog

SAMPLES = 3


def grouped(errors):
    """A queryset of one dict per fingerprint, most recently seen first."""
    return (
        errors.values("fingerprint")
        .annotate(
            count=Count("id"),
            unresolved=Count("id", filter=Q(resolved=False)),
            first_seen=Min("created_at"),
            last_seen=Max("created_at"),
            latest_id=Max("id"),
        )
        .order_by("-last_seen", "fingerprint")
    )


def describe(groups):
    """Add type, message, layer, severity and sample correlation IDs to each group."""
    groups = list(groups)
    latest = ErrorLog.objects.in_bulk([group["latest_id"] for group in groups])
    samples = _samples([group["fingerprint"] for group in groups])
    for group in groups:
        error = latest[group["latest_id"]]
        group.update(
            error_type=error.error_type,
            message=error.message,
            layer=error.layer,
            severity=error.severity,
            resolved=group["unresolved"] == 0,
            sample_correlation_ids=samples.get(group["fingerprint"], []),
        )
    return groups


def _samples(fingerprints):
    recent = (
        ErrorLog.objects.filter(fingerprint__in=fingerprints, workflow__isnull=False)
        .order_by("-created_at")
        .values_list("fingerprint", "workflow__correlation_id")[
            : SAMPLES * 10 * max(len(fingerprints), 1)
        ]
    )
    samples = {}
    for fingerprint, correlation_id in recent:
        ids = samples.setdefault(fingerprint, [])
        if len(ids) < SAMPLES and correlation_id not in ids:
            ids.append(correlation_id)
    return samples
