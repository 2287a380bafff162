"""The ``FLOWSCOPE`` dict itself: known keys, numbers where numbers are read, a transport
that can run, collectors that are configured well."""

from django.core import checks

from flowscope.capture.collectors import configured_collectors
from flowscope.conf import DEFAULTS, flowscope_settings
from flowscope.recording.stream import configuration_problem
from flowscope.thresholds import LEVELS


@checks.register(checks.Tags.compatibility)
def check_settings_keys(app_configs=None, **kwargs):
    return [
        checks.Warning(
            f"FLOWSCOPE[{key!r}] is not a flowscope setting and is ignored.",
            hint=f"Known settings: {', '.join(sorted(DEFAULTS))}.",
            id="flowscope.W001",
        )
        for key in flowscope_settings.unknown_keys()
    ]


@checks.register(checks.Tags.compatibility)
def check_collectors(app_configs=None, **kwargs):
    """Each collector in FLOWSCOPE["COLLECTORS"] checks its own configuration."""
    return [message for collector in configured_collectors() for message in collector.checks()]


@checks.register(checks.Tags.compatibility)
def check_thresholds(app_configs=None, **kwargs):
    """THRESHOLDS and RECOMMENDATION_MIN_EVIDENCE hold numbers where numbers are read."""
    thresholds = flowscope_settings.THRESHOLDS
    evidence = flowscope_settings.RECOMMENDATION_MIN_EVIDENCE
    bad_metrics = [m for m, levels in thresholds.items() if not _valid_levels(levels)]
    known = DEFAULTS["RECOMMENDATION_MIN_EVIDENCE"]
    bad_minimums = [
        name for name, minimum in evidence.items() if name not in known or not _count(minimum)
    ]
    return [
        *(
            checks.Error(
                f"FLOWSCOPE['THRESHOLDS'][{metric!r}] must be a dict whose 'info', 'warning' "
                "and 'critical' are numbers (or None: off) and whose 'above' is True or False.",
                hint='e.g. {"warning": 500, "critical": 2000, "above": True}',
                id="flowscope.E001",
            )
            for metric in bad_metrics
        ),
        *(
            checks.Error(
                f"FLOWSCOPE['RECOMMENDATION_MIN_EVIDENCE'][{name!r}] must be a known kind of "
                "observation with a whole number, 0 or more.",
                hint=f"Known kinds: {', '.join(known)}.",
                id="flowscope.E002",
            )
            for name in bad_minimums
        ),
    ]


def _valid_levels(levels):
    if not isinstance(levels, dict):
        return False
    limits = [levels.get(severity) for severity in LEVELS]
    numbers = all(limit is None or _number(limit) for limit in limits)
    return numbers and isinstance(levels.get("above", True), bool)


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@checks.register(checks.Tags.compatibility)
def check_transport(app_configs=None, **kwargs):
    """TRANSPORT "redis" needs redis-py and STREAM_URL."""
    problem = configuration_problem()
    if not problem:
        return []
    return [
        checks.Error(
            f"FLOWSCOPE transport misconfigured: {problem}.",
            hint='Set FLOWSCOPE["STREAM_URL"] (and install flowscope[redis]), or use '
            'TRANSPORT "thread".',
            id="flowscope.E003",
        )
    ]
