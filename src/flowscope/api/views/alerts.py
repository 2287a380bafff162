"""The alert history: every alert that fired, newest first, with its repeats within the
cooldown and the status of each delivery."""

import django_filters
from rest_framework import mixins, viewsets

from flowscope.api.access import DashboardAccessMixin
from flowscope.api.filters import StrictFilterSet, UtcDateTimeFilter
from flowscope.api.serializers.alerts import AlertEventSerializer
from flowscope.models import AlertEvent


class AlertFilter(StrictFilterSet):
    rule = django_filters.CharFilter(max_length=100)
    kind = django_filters.ChoiceFilter(choices=AlertEvent.Kind.choices)
    since = UtcDateTimeFilter(field_name="first_fired_at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="first_fired_at", lookup_expr="lt")

    class Meta:
        model = AlertEvent
        fields = []


class AlertEventViewSet(
    DashboardAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Alerts that fired (``FLOWSCOPE["ALERT_RULES"]``), filtered by rule, kind and time."""

    queryset = AlertEvent.objects.all()
    serializer_class = AlertEventSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = AlertFilter
