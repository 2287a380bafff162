"""Filters shared by the dashboard API's lists."""

from datetime import UTC

import django_filters


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601, compared in UTC: an exotic offset (-19:30) is valid ISO but not a valid
    time zone for PostgreSQL."""

    def filter(self, queryset, value):
        return super().filter(queryset, value.astimezone(UTC) if value else value)
