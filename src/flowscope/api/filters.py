"""Query parameters shared by the dashboard API's views: times and windows."""

from datetime import UTC

import django_filters
from rest_framework.exceptions import ValidationError

from flowscope.analysis import windows


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601, compared in UTC: an exotic offset (-19:30) is valid ISO but not a valid
    time zone for PostgreSQL."""

    def filter(self, queryset, value):
        return super().filter(queryset, value.astimezone(UTC) if value else value)


def requested_window(request):
    """The window named by ``?window=``, or None for the user's default; an unknown name
    is a 400 on ``window``."""
    name = request.query_params.get("window") or None
    if name is not None and name not in windows.WINDOWS:
        raise ValidationError({"window": [str(windows.UnknownWindow(name))]})
    return name
