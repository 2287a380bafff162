from django.db import transaction
from rest_framework import viewsets

from flowscope.api.access import DashboardAccessMixin
from flowscope.api.serializers.configuration import DashboardConfigurationSerializer
from flowscope.models import DashboardConfiguration


class DashboardConfigurationViewSet(DashboardAccessMixin, viewsets.ModelViewSet):
    """The caller's dashboard configurations; another user's are not found (404). One is
    the default: making one the default makes the others not."""

    serializer_class = DashboardConfigurationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, reading the model
            return DashboardConfiguration.objects.none()
        return DashboardConfiguration.objects.filter(user=self.request.user)

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
