"""Apps in INSTALLED_APPS that parts of flowscope read templates or static files from."""

from django.apps import apps
from django.core import checks
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.settings import api_settings

from flowscope import prerequisites
from flowscope.checks.mounts import mounted

# The browsable API's pages (?format=api) are these apps' templates: DRF's own, and
# django-filter's for the filter forms of flowscope's lists.
BROWSABLE_API_APPS = ("rest_framework", "django_filters")
STATICFILES = "django.contrib.staticfiles"


@checks.register(checks.Tags.compatibility)
def check_installed_apps(app_configs=None, **kwargs):
    return [*_browsable_api(), *_api_docs(), *_static_files()]


def _browsable_api():
    absent = [name for name in BROWSABLE_API_APPS if not apps.is_installed(name)]
    renderers = api_settings.DEFAULT_RENDERER_CLASSES
    if not absent or not any(issubclass(r, BrowsableAPIRenderer) for r in renderers):
        return []
    names = ", ".join(repr(name) for name in absent)
    return [
        checks.Warning(
            f"{names} not in INSTALLED_APPS: the browsable pages of flowscope's API "
            "(?format=api, or a browser's request) fail on their templates.",
            hint=f"Add {names} to INSTALLED_APPS.",
            id="flowscope.W005",
        )
    ]


def _api_docs():
    missing = prerequisites.api_docs()
    if missing is None or not mounted("flowscope:schema-docs"):
        return []
    return [
        checks.Warning(
            f"The API docs (schema/docs/) are off: {missing.what}. They answer 503 with "
            "what is missing; the schema itself (schema/) is served.",
            hint=missing.fix,
            id="flowscope.W006",
        )
    ]


def _static_files():
    if apps.is_installed(STATICFILES):
        return []
    return [
        checks.Warning(
            f"{STATICFILES!r} not in INSTALLED_APPS: the dashboard page's scripts and styles "
            "are static files of flowscope's, which it finds; without them the page stays "
            "blank.",
            hint=f"Add {STATICFILES!r} to INSTALLED_APPS (and run collectstatic where a web "
            "server serves STATIC_ROOT).",
            id="flowscope.W007",
        )
    ]
