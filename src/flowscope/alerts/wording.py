"""How an alert reads: the value that fired, in its unit, with the precision a person
needs ("p95 1,840 ms over 1,000 ms on GET /api/v1/products/ (1 min, 42 requests)")."""

UNITS = {
    "response_time_ms": "ms",
    "response_size_bytes": "bytes",
    "query_count": "queries",
    # Rates are kept as fractions (0.23) and shown as percentages (23 %).
    "error_rate": "ratio",
    "workflow_failure_rate": "ratio",
}


def quantity(value, unit):
    """``value`` in ``unit``: a rate (0..1) as a percentage, a size in KB or MB, a
    duration or a count to the unit, with thousands separators."""
    if unit == "ratio":
        percent = value * 100
        return f"{percent:,.1f} %" if percent < 10 else f"{percent:,.0f} %"
    if unit == "bytes":
        for limit, name in ((1024 * 1024, "MB"), (1024, "KB")):
            if value >= limit:
                return f"{value / limit:,.1f} {name}"
        return f"{value:,.0f} bytes"
    if unit == "ms" and value < 10:
        return f"{value:,.1f} ms"
    return f"{value:,.0f} {unit}"


def span_of(seconds):
    """A window's length as people say it: "1 min", "5 min", "1 h", "30 s"."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def plural(count, noun):
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def threshold_message(label, value, threshold, unit, subject, context):
    """ "p95 1,840 ms over 1,000 ms on GET /x/ (1 min, 42 requests)"."""
    over = f"{quantity(value, unit)} over {quantity(threshold, unit)}"
    return f"{label} {over} on {subject} ({context})"
