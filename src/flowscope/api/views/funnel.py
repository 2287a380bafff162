"""The drop-off funnel over a window: journeys through ``FLOWSCOPE["FUNNEL"]``'s steps."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from flowscope.analysis import funnel, windows
from flowscope.api.access import DashboardAPIView
from flowscope.api.filters import requested_window
from flowscope.api.schema import extend_schema
from flowscope.api.serializers.funnel import FunnelSerializer


class FunnelView(DashboardAPIView):
    """Each step: journeys that reached it, the conversion, and at the drop the error groups
    and slowest steps of the journeys that stopped there (docs/funnel.md)."""

    @extend_schema(
        parameters=[OpenApiParameter("window", str, enum=list(windows.WINDOWS))],
        responses=FunnelSerializer,
    )
    def get(self, request):
        configuration = windows.default_configuration(request.user)
        name, since, until = windows.window(requested_window(request), configuration)
        found = funnel.funnel(since, until)
        return Response(FunnelSerializer({"window": name, **found}).data)
