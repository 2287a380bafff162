"""Collectors: the hooks that add to a request's trace (database queries, cache operations,
unhandled exceptions, log records, custom steps), each with the same small lifecycle, like
django-debug-toolbar's panels.

``install()`` hooks into Django or Python and ``uninstall()`` undoes it; both are
idempotent, so a second ``ready()`` or a test never hooks twice. ``checks()`` returns the
system check messages about the collector's configuration (``manage.py check``).

Which collectors run is ``FLOWSCOPE["COLLECTORS"]``: import strings of ``Collector``
classes, resolved once. The app's ``ready()`` calls ``install_collectors()``; a collector
left out of the list is never installed. Changing the setting later (``override_settings``)
only makes the list be resolved again: installing or removing hooks is ``ready()``'s, or a
test's own ``install()``/``uninstall()``.
"""

import functools

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from flowscope.conf import flowscope_settings


class Collector:
    def install(self):
        raise NotImplementedError

    def uninstall(self):
        raise NotImplementedError

    def checks(self):
        return []


@functools.cache
def configured_collectors():
    return tuple(_load(path) for path in flowscope_settings.COLLECTORS)


def _load(path):
    try:
        collector_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"FLOWSCOPE['COLLECTORS'] lists {path!r}, which cannot be imported: {exc}"
        ) from exc
    if not (isinstance(collector_class, type) and issubclass(collector_class, Collector)):
        raise ImproperlyConfigured(
            f"FLOWSCOPE['COLLECTORS'] lists {path!r}, which is not a Collector class."
        )
    return collector_class()


def install_collectors():
    for collector in configured_collectors():
        collector.install()


def _forget_on_change(*, setting, **kwargs):
    if setting == "FLOWSCOPE":
        configured_collectors.cache_clear()


setting_changed.connect(_forget_on_change)
