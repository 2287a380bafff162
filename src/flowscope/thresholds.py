"""Thresholds turn a metric's value into an alert with a severity."""

from flowscope.conf import flowscope_settings


def evaluate(metric, value, thresholds=None):
    """``(threshold, severity)`` for the worst threshold ``value`` passes, else
    ``(None, "")``. A threshold with ``"above": False`` alerts when the value falls below it
    (a cache hit ratio)."""
    rule = (thresholds or flowscope_settings.THRESHOLDS).get(metric)
    if not rule or value is None:
        return None, ""
    above = rule.get("above", True)
    for severity in ("critical", "warning"):
        limit = rule.get(severity)
        if limit is not None and (value > limit if above else value < limit):
            return limit, severity
    return None, ""
