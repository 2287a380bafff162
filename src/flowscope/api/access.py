"""Who may use the dashboard API: staff by default (``FLOWSCOPE["PERMISSION_CLASSES"]``),
by session or token; every list paginated and bounded."""

from django.apps import apps
from django.utils.module_loading import import_string
from drf_spectacular.openapi import AutoSchema
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from flowscope.api.exceptions import FlowscopeErrorsMixin
from flowscope.conf import flowscope_settings


def authentication_classes():
    configured = flowscope_settings.AUTHENTICATION_CLASSES
    if configured is not None:
        return [import_string(path) for path in configured]
    classes = [SessionAuthentication]
    if apps.is_installed("rest_framework.authtoken"):
        classes.append(TokenAuthentication)
    return classes


class DashboardPagination(PageNumberPagination):
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        self.page_size = flowscope_settings.PAGE_SIZE
        self.max_page_size = flowscope_settings.MAX_PAGE_SIZE
        return super().get_page_size(request)


class DashboardAccessMixin(FlowscopeErrorsMixin):
    """Mixed into every dashboard view; classes are read from settings per request, so
    ``override_settings`` applies."""

    pagination_class = DashboardPagination
    schema = AutoSchema()  # whatever schema class the host project uses

    def get_authenticators(self):
        return [cls() for cls in authentication_classes()]

    def get_permissions(self):
        return [import_string(path)() for path in flowscope_settings.PERMISSION_CLASSES]


class DashboardAPIView(DashboardAccessMixin, APIView):
    pass
