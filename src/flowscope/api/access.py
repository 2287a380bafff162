"""Every dashboard API view: authenticated and permitted by flowscope's access policy
(``flowscope.access``: staff by default, by session or token), errors in the API's shape,
JSON bodies within the nesting limit, every list paginated and bounded."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from flowscope import access
from flowscope.api.exceptions import FlowscopeErrorsMixin
from flowscope.api.filters import query_positive_integer
from flowscope.api.negotiation import AcceptNegotiation
from flowscope.api.parsers import PARSER_CLASSES
from flowscope.api.schema import FlowscopeAutoSchema
from flowscope.conf import flowscope_settings


class DashboardPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` are whole numbers from 1 (else a 400 naming them); a
    page past the last is a 404, and a page size past ``MAX_PAGE_SIZE`` is that size."""

    page_size_query_param = "page_size"
    last_page_strings = ()  # a page is a number

    def get_page_size(self, request):
        self.max_page_size = flowscope_settings.MAX_PAGE_SIZE
        self.page_size = flowscope_settings.PAGE_SIZE
        asked = query_positive_integer(request, self.page_size_query_param, None)
        return self.page_size if asked is None else min(asked, self.max_page_size)

    def get_page_number(self, request, paginator):
        return query_positive_integer(request, self.page_query_param, 1)

    def check_parameters(self, request):
        """A 400 for an invalid ``?page=`` or ``?page_size=``, where nothing is paged."""
        self.get_page_size(request)
        self.get_page_number(request, None)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


class DashboardAccessMixin(FlowscopeErrorsMixin):
    """Mixed into every dashboard view; the classes come from the access policy, which
    follows ``override_settings``."""

    pagination_class = DashboardPagination
    parser_classes = PARSER_CLASSES  # bodies are JSON (another media type is a 415)
    content_negotiation_class = AcceptNegotiation
    schema = FlowscopeAutoSchema()  # whatever schema class the host project uses

    def get_authenticators(self):
        return [cls() for cls in access.authentication_classes()]

    def get_permissions(self):
        return [cls() for cls in access.permission_classes()]


class DashboardAPIView(DashboardAccessMixin, APIView):
    pass
