"""The OpenAPI schema of flowscope's own endpoints only (drf-spectacular)."""

from django.urls import NoReverseMatch, reverse


def only_flowscope_endpoints(endpoints, **kwargs):
    try:
        prefix = reverse("flowscope:health").removesuffix("health/")
    except NoReverseMatch:
        return endpoints
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(prefix)]
