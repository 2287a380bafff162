"""Who may use the dashboard: one policy for the REST API, the WebSockets and the page.

``FLOWSCOPE["PERMISSION_CLASSES"]`` and ``FLOWSCOPE["AUTHENTICATION_CLASSES"]`` are import
strings; they are resolved once and resolved again when settings change, so
``override_settings`` applies in tests.
"""

from functools import cache
from types import SimpleNamespace

from django.apps import apps
from django.core.signals import setting_changed
from django.utils.module_loading import import_string
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from flowscope.conf import flowscope_settings


@cache
def authentication_classes():
    """The configured classes; by default session, plus token when
    ``rest_framework.authtoken`` is installed."""
    configured = flowscope_settings.AUTHENTICATION_CLASSES
    if configured is not None:
        return tuple(import_string(path) for path in configured)
    if apps.is_installed("rest_framework.authtoken"):
        return (SessionAuthentication, TokenAuthentication)
    return (SessionAuthentication,)


@cache
def permission_classes():
    return tuple(import_string(path) for path in flowscope_settings.PERMISSION_CLASSES)


def may_watch(user):
    """Whether ``user`` may see the dashboard, asked of the permission classes the way the
    API asks them for a GET (staff only by default)."""
    request = SimpleNamespace(user=user, method="GET", auth=None)
    return all(cls().has_permission(request, None) for cls in permission_classes())


def _forget_classes(*, setting, **kwargs):
    # INSTALLED_APPS decides the default authentication classes (authtoken or not).
    if setting in ("FLOWSCOPE", "INSTALLED_APPS"):
        authentication_classes.cache_clear()
        permission_classes.cache_clear()


setting_changed.connect(_forget_classes)
