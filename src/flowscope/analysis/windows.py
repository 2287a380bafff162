"""The time window a dashboard looks at, and the thresholds it judges by: the user's
default configuration where they have one, the settings otherwise."""

from datetime import timedelta

from django.utils import timezone

from flowscope.models import DashboardConfiguration
from flowscope.thresholds import effective_thresholds

WINDOWS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
DEFAULT_WINDOW = "1h"


class UnknownWindow(ValueError):
    def __init__(self, name):
        super().__init__(f"Use one of {', '.join(WINDOWS)}.")
        self.name = name


def default_configuration(user):
    """The user's default dashboard configuration, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return DashboardConfiguration.objects.filter(user=user, is_default=True).first()


def window(name=None, configuration=None):
    """``(name, since, until)`` ending now: the window named, else the configuration's
    default, else 1h. An unknown name raises ``UnknownWindow``."""
    name = name or (configuration.default_window if configuration else DEFAULT_WINDOW)
    if name not in WINDOWS:
        raise UnknownWindow(name)
    until = timezone.now()
    return name, until - WINDOWS[name], until


def thresholds_for(configuration=None):
    """Every metric's thresholds: defaults, settings, then the user's own, level by level."""
    return effective_thresholds(configuration.thresholds if configuration else None)
