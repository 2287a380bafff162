from django.conf import settings
from django.views.generic import TemplateView

from flowscope.conf import flowscope_settings


class StorefrontView(TemplateView):
    """The shop's page: plain HTML and JavaScript over the shop API, instrumented with the
    flowscope browser SDK so one click-through is one traced workflow."""

    template_name = "shop/storefront.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "flowscope_ingest_key": settings.FLOWSCOPE_INGEST_KEY,
            "flowscope_ingest_url": "/api/v1/debugging/ingest/",
            # The page's events carry the release that served it, as its requests do.
            "flowscope_release": flowscope_settings.RELEASE,
        }
