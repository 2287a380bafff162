"""Every dashboard API view: authenticated and permitted by flowscope's access policy
(``flowscope.access``: staff by default, by session or token), errors in the API's shape,
JSON bodies within the nesting limit, every list paginated and bounded."""

from drf_spectacular.openapi import AutoSchema
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from flowscope import access
from flowscope.api.exceptions import FlowscopeErrorsMixin
from flowscope.api.parsers import PARSER_CLASSES
from flowscope.conf import flowscope_settings


class DashboardPagination(PageNumberPagination):
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        self.page_size = flowscope_settings.PAGE_SIZE
        self.max_page_size = flowscope_settings.MAX_PAGE_SIZE
        return super().get_page_size(request)


class DashboardAccessMixin(FlowscopeErrorsMixin):
    """Mixed into every dashboard view; the classes come from the access policy, which
    follows ``override_settings``."""

    pagination_class = DashboardPagination
    parser_classes = PARSER_CLASSES  # whatever parsers the host project configures
    schema = AutoSchema()  # whatever schema class the host project uses

    def get_authenticators(self):
        return [cls() for cls in access.authentication_classes()]

    def get_permissions(self):
        return [cls() for cls in access.permission_classes()]


class DashboardAPIView(DashboardAccessMixin, APIView):
    pass
