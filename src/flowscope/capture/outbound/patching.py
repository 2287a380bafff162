"""Wrapping a library's method on its class, and undoing it: the outbound collectors'
lifecycle.

A wrapper keeps the method it replaced in ``flowscope_original``: installing twice wraps
once, and uninstalling puts back exactly what was there. A library that is not installed
is left alone, so the collectors of every library can be listed by default.
"""

import importlib

from flowscope.capture.collectors import Collector


def wrap(owner, name, make_wrapper):
    current = getattr(owner, name, None)
    if current is None or getattr(current, "flowscope_original", None) is not None:
        return  # a version of the library without it, or wrapped already
    wrapper = make_wrapper(current)
    wrapper.flowscope_original = current
    setattr(owner, name, wrapper)


def unwrap(owner, name):
    original = getattr(getattr(owner, name, None), "flowscope_original", None)
    if original is not None:
        setattr(owner, name, original)


class LibraryCollector(Collector):
    """Wraps each of ``methods``, ``(module, class name, method name, wrapper factory)``,
    that the installed version of the library has."""

    methods = ()

    def install(self):
        for owner, name, make_wrapper in self._available():
            wrap(owner, name, make_wrapper)

    def uninstall(self):
        for owner, name, _ in self._available():
            unwrap(owner, name)

    def _available(self):
        for module_name, class_name, method_name, make_wrapper in self.methods:
            try:
                module = importlib.import_module(module_name)
            except ImportError:  # the library is not installed: nothing of it to capture
                continue
            owner = getattr(module, class_name, None)
            if owner is not None:
                yield owner, method_name, make_wrapper
