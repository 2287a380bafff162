"""The period a report covers: ``{"start", "end"}`` or ``{"hours": n}``, validated."""

from datetime import UTC, timedelta

from django.utils import timezone
from rest_framework import serializers

MAX_PERIOD = timedelta(days=31)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    hours = serializers.FloatField(
        required=False, min_value=0.01, max_value=MAX_PERIOD.total_seconds() / 3600
    )

    def validate(self, data):
        if "hours" in data:
            if "start" in data or "end" in data:
                raise serializers.ValidationError({"hours": ["Give hours, or start and end."]})
            end = timezone.now()
            return {"start": end - timedelta(hours=data["hours"]), "end": end}
        if "start" not in data or "end" not in data:
            raise serializers.ValidationError({"start": ['Give "start" and "end", or "hours".']})
        start, end = data["start"].astimezone(UTC), data["end"].astimezone(UTC)
        if end <= start:
            raise serializers.ValidationError({"end": ["Must be after start."]})
        if end - start > MAX_PERIOD:
            raise serializers.ValidationError(
                {"end": [f"A report covers at most {MAX_PERIOD.days} days."]}
            )
        return {"start": start, "end": end}


def previous(start, end):
    """The period of the same length just before."""
    return start - (end - start), start
