"""Apps whose templates or static files a part of flowscope serves."""

import pytest
from django.conf import settings


def without(*names):
    return [app for app in settings.INSTALLED_APPS if app not in names]


@pytest.mark.parametrize("app", ["rest_framework", "django_filters"])
def test_the_browsable_api_needs_drf_and_django_filter(settings, reported, app):
    assert reported("flowscope.W005") == []
    settings.INSTALLED_APPS = without(app)
    [warning] = reported("flowscope.W005")
    assert "?format=api" in warning.msg
    assert warning.hint == f"Add {app!r} to INSTALLED_APPS."
    # Without the browsable API renderer nothing reads their templates.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    }
    assert reported("flowscope.W005") == []


def test_the_api_docs_need_drf_spectacular_and_its_sidecar(settings, reported):
    assert reported("flowscope.W006") == []
    settings.INSTALLED_APPS = without("drf_spectacular", "drf_spectacular_sidecar")
    [warning] = reported("flowscope.W006")
    assert "schema/docs/" in warning.msg
    assert "Add 'drf_spectacular', 'drf_spectacular_sidecar' to INSTALLED_APPS" in warning.hint


def test_the_page_needs_staticfiles(settings, reported):
    assert reported("flowscope.W007") == []
    settings.INSTALLED_APPS = without("django.contrib.staticfiles")
    [warning] = reported("flowscope.W007")
    assert "page" in warning.msg
    assert "Add 'django.contrib.staticfiles' to INSTALLED_APPS" in warning.hint
