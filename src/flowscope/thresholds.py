"""Thresholds turn a metric's value into a severity: the alerts of rollups and health, and
the grades of recommendations.

A metric's levels are merged from three layers, level by level, so that overriding
"warning" keeps the configured "critical": the defaults (``DEFAULTS["THRESHOLDS"]``), the
host's ``FLOWSCOPE["THRESHOLDS"]``, then a caller's override (a user's dashboard
configuration). A level set to ``None`` is off.
"""

from flowscope.conf import DEFAULTS, flowscope_settings

LEVELS = ("critical", "warning", "info")  # worst first
ALERT_LEVELS = ("critical", "warning")  # "info" is worth a hint, never an alert
# Rollup metrics whose thresholds judge a window's p95, not its mean: one slow request in
# twenty is what a person notices. The others (rates, query counts) judge the value.
JUDGED_ON_P95 = frozenset({"response_time_ms", "response_size_bytes"})


def judged_statistic(metric):
    """``"p95"`` or ``"value"``: which of a rollup's figures its thresholds judge."""
    return "p95" if metric in JUDGED_ON_P95 else "value"


def levels_of(metric, override=None):
    """``{"warning": .., "critical": .., ...}`` of ``metric``, the three layers merged."""
    merged = {}
    for layer in (DEFAULTS["THRESHOLDS"], flowscope_settings.THRESHOLDS, override or {}):
        levels = layer.get(metric)
        if isinstance(levels, dict):
            merged.update(levels)
    return merged


def effective_thresholds(override=None):
    """Every metric's merged levels, shaped like ``FLOWSCOPE["THRESHOLDS"]``."""
    metrics = {*DEFAULTS["THRESHOLDS"], *flowscope_settings.THRESHOLDS, *(override or {})}
    return {metric: levels_of(metric, override) for metric in metrics}


def passes(value, limit, above=True):
    """Whether ``value`` is past ``limit`` (above it, or below it when lower is worse)."""
    return limit is not None and (value > limit if above else value < limit)


def worst_level(value, levels, above=True, severities=LEVELS):
    """``(severity, limit)`` of the worst of ``severities`` that ``value`` passes, else
    ``(None, None)``."""
    for severity in severities:
        if passes(value, levels.get(severity), above):
            return severity, levels[severity]
    return None, None


def evaluate(metric, value, thresholds=None):
    """``(threshold, severity)`` for the worst threshold ``value`` passes, else
    ``(None, "")``. ``thresholds`` overrides the settings like a dashboard configuration.
    A threshold with ``"above": False`` alerts when the value falls below it (a cache hit
    ratio)."""
    levels = levels_of(metric, thresholds)
    if not levels or value is None:
        return None, ""
    severity, limit = worst_level(value, levels, levels.get("above", True), ALERT_LEVELS)
    return limit, severity or ""


def evidence_minimums():
    """``FLOWSCOPE["RECOMMENDATION_MIN_EVIDENCE"]`` over its defaults, key by key: the
    fewest observations a rate or an average needs before a rule judges it."""
    return {
        **DEFAULTS["RECOMMENDATION_MIN_EVIDENCE"],
        **flowscope_settings.RECOMMENDATION_MIN_EVIDENCE,
    }
