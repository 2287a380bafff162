"""Steps over a period, across workflows: how many, per layer over time, and the recent
durations percentiles are read from."""

from django.db.models import Count, F, Q
from django.db.models.functions import TruncHour, TruncMinute

from flowscope.analysis.period_stats import first_rows
from flowscope.models import HEALTH_LAYERS, Layer, TraceStep

SHORT_PERIOD_SECONDS = 6 * 3600
SHORT_BUCKET_MINUTES = 10


def in_period(start, end):
    return TraceStep.objects.filter(started_at__gte=start, started_at__lt=end)


def counts(start, end, routes=(), layers=()):
    """``{"requests", "steps"}`` in the period, of ``layers`` (all when empty); requests
    are API steps, of ``routes`` (all when empty)."""
    steps = in_period(start, end)
    if layers:
        steps = steps.filter(layer__in=layers)
    requests = steps.filter(layer=Layer.API)
    if routes:
        requests = requests.filter(name__in=routes)
    return {"requests": requests.count(), "steps": steps.count()}


def per_layer_over_time(start, end):
    """``[{"bucket", "layer", "count", "errors"}]`` of the health layers, per hour (per 10
    minutes for periods up to 6 hours), in time then layer order."""
    short = (end - start).total_seconds() <= SHORT_PERIOD_SECONDS
    trunc = TruncMinute("started_at") if short else TruncHour("started_at")
    rows = (
        in_period(start, end)
        .annotate(bucket=trunc)
        .values("bucket", "layer")
        .annotate(count=Count("id"), errors=Count("id", filter=Q(status="error")))
        .order_by("bucket", "layer")
    )
    if short:  # minutes folded into 10-minute buckets here, in Python: at most 36 x 5 rows
        rows = _fold(rows, SHORT_BUCKET_MINUTES)
    return [row for row in rows if row["layer"] in HEALTH_LAYERS]


def _fold(rows, minutes):
    folded = {}
    for row in rows:
        bucket = row["bucket"].replace(minute=row["bucket"].minute // minutes * minutes)
        entry = folded.setdefault(
            (bucket, row["layer"]),
            {"bucket": bucket, "layer": row["layer"], "count": 0, "errors": 0},
        )
        entry["count"] += row["count"]
        entry["errors"] += row["errors"]
    return list(folded.values())


def recent_durations(stats, layer, names, sample):
    """``{name: sorted durations}`` of the most recent ``sample`` steps of each of
    ``names`` in the layer, within the period of ``stats`` (a ``PeriodStats``)."""
    found = first_rows(stats.steps(layer), F("name"), list(names), sample, value=F("duration_ms"))
    return {name: sorted(row["value"] for row in rows) for name, rows in found.items()}
