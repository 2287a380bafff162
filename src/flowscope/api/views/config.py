from django.db import transaction
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from flowscope.api.access import DashboardAccessMixin
from flowscope.api.schema import extend_schema
from flowscope.api.serializers.configuration import (
    ConfigurationDefaultsSerializer,
    DashboardConfigurationSerializer,
)
from flowscope.models import DashboardConfiguration


class DashboardConfigurationViewSet(DashboardAccessMixin, viewsets.ModelViewSet):
    """The caller's dashboard configurations; another user's are not found (404). One is
    the default: making one the default makes the others not."""

    serializer_class = DashboardConfigurationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, reading the model
            return DashboardConfiguration.objects.none()
        return DashboardConfiguration.objects.filter(user=self.request.user)

    @extend_schema(responses=ConfigurationDefaultsSerializer)
    @action(detail=False, pagination_class=None, filter_backends=[])
    def defaults(self, request):
        """What a configuration holds where it sets nothing, thresholds included: the
        settings page shows them beside each field, and an emptied field goes back to them."""
        defaults = ConfigurationDefaultsSerializer.defaults()
        return Response(ConfigurationDefaultsSerializer(defaults).data)

    @transaction.atomic
    def perform_create(self, serializer):
        self._one_default(serializer)
        serializer.save(user=self.request.user)

    @transaction.atomic
    def perform_update(self, serializer):
        self._one_default(serializer)
        serializer.save()

    def _one_default(self, serializer):
        mine = self.get_queryset()
        if serializer.validated_data.get("is_default"):
            mine.filter(is_default=True).update(is_default=False)
        elif (
            not mine.exclude(pk=getattr(serializer.instance, "pk", None))
            .filter(is_default=True)
            .exists()
        ):
            serializer.validated_data["is_default"] = True  # the first is the default
