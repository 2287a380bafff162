"""How bad a finding is: its severity, how far past its limit, and the score that orders
recommendations."""

import math

from flowscope.thresholds import LEVELS, worst_level

SEVERITY_RANK = {"info": 1, "warning": 2, "critical": 3}


def grade(value, levels, above=True):
    """The worst level ``value`` passes ("critical", "warning", "info"), else None."""
    return worst_level(value, levels, above)[0]


def trigger(levels, above=True):
    """The mildest limit of ``levels``: what a group must pass to be reported at all."""
    limits = [levels[s] for s in LEVELS if levels.get(s) is not None]
    if not limits:
        return None
    return min(limits) if above else max(limits)


def magnitude(value, limit, above=True):
    """How many times past its limit a value is (capped at 10)."""
    worse, better = (value, limit) if above else (limit, value)
    return min(worse / better, 10.0) if better > 0 else 10.0


def score(severity, times_over, affected):
    """Severity first; within a severity, how far past its limit, weighted by the log of
    how much traffic it touches (so a busy route outranks a one-off)."""
    impact = times_over * math.log10(10 + affected) * 10
    return round(SEVERITY_RANK[severity] * 1000 + min(impact, 999.0), 2)
