"""The time window a dashboard request looks at, and the thresholds it judges by."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.exceptions import ValidationError

from flowscope.conf import flowscope_settings
from flowscope.models import DashboardConfiguration

WINDOWS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}


def user_configuration(user):
    """The user's default dashboard configuration, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return DashboardConfiguration.objects.filter(user=user, is_default=True).first()


def window_for(request, configuration=None):
    """``(name, since, until)`` from ``?window=``, else the user's default, else 1h."""
    name = request.query_params.get("window") or (
        configuration.default_window if configuration else "1h"
    )
    if name not in WINDOWS:
        raise ValidationError({"window": [f"Use one of {', '.join(WINDOWS)}."]})
    until = timezone.now()
    return name, until - WINDOWS[name], until


def thresholds_for(configuration=None):
    """Settings' thresholds with the user's own over them, metric by metric."""
    merged = {metric: dict(rule) for metric, rule in flowscope_settings.THRESHOLDS.items()}
    for metric, rule in (configuration.thresholds if configuration else {}).items():
        merged[metric] = {**merged.get(metric, {}), **rule}
    return merged
