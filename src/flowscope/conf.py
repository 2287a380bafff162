"""Flowscope's settings: one ``FLOWSCOPE`` dict in the host's settings, merged over defaults.

Read everything through ``flowscope_settings.NAME``. Values are looked up lazily and the
cache is dropped on ``setting_changed``, so ``override_settings(FLOWSCOPE=...)`` works in
tests. Every option, its default and what it does are listed in ``DEFAULTS`` below and in
``docs/configuration.md``.
"""

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS = {
    # Master switch: False turns every capture hook into a no-op.
    "ENABLED": True,
}


class FlowscopeSettings:
    """Attribute access to the merged settings; unknown names raise ``AttributeError``."""

    def __init__(self, defaults=None):
        self.defaults = DEFAULTS if defaults is None else defaults
        self._cache = {}

    @property
    def user_settings(self):
        return getattr(settings, "FLOWSCOPE", {}) or {}

    def __getattr__(self, name):
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"Unknown flowscope setting: {name!r}")
        if name not in self._cache:
            self._cache[name] = self.user_settings.get(name, self.defaults[name])
        return self._cache[name]

    def unknown_keys(self):
        """Keys of the user's ``FLOWSCOPE`` dict that flowscope does not know (typos)."""
        return sorted(set(self.user_settings) - set(self.defaults))

    def reload(self):
        self._cache.clear()


flowscope_settings = FlowscopeSettings()


def _reload_on_change(*, setting, **kwargs):
    if setting == "FLOWSCOPE":
        flowscope_settings.reload()


setting_changed.connect(_reload_on_change)
