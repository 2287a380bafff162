"""Where the host project mounted flowscope, read from its URLconf.

One line mounts the page, the API, ingest and OTLP::

    path("debugging/", include("flowscope.urls")),

and everything that needs to know where flowscope lives asks here instead of a setting:
the paths that are never traced, the routes a manual test may not call, and the sockets
(served under the mount, ``ws/...``, by ``flowscope.asgi.with_flowscope``). Every instance
of the include counts (a second mount under its own namespace keeps an older address
alive), and so does the page's own include of earlier releases.

Paths here are from the URLconf's root (no ``SCRIPT_NAME``), with a slash at both ends.
Found by reversing URL names, so a mount nested in another namespace is not found: name
it in ``FLOWSCOPE["INTERNAL_PATHS"]``.
"""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, reverse

from flowscope.conf import flowscope_settings

APP_NAME = "flowscope"
# The page's own include (``flowscope.dashboard.urls``), from before the one include.
PAGE_APP_NAME = "flowscope_dashboard"
# Where the sockets were before they followed the mount; still served.
LEGACY_SOCKETS = "/ws/debugging/"


@functools.cache  # read on every request; forgotten when the URLconf or settings change
def mounts():
    """Every path ``flowscope.urls`` is mounted at, the default namespace's first."""
    return _mounts_of(APP_NAME)


@functools.cache
def page_mounts():
    """Where the page's own include of earlier releases is mounted, if anywhere."""
    return _mounts_of(PAGE_APP_NAME)


def _mounts_of(app_name):
    resolver = get_resolver()
    namespaces = sorted(resolver.app_dict.get(app_name, ()), key=lambda name: name != app_name)
    found = []
    for namespace in namespaces:
        try:
            found.append(path_from_root(reverse(f"{namespace}:page")))
        except NoReverseMatch:
            continue
    return tuple(dict.fromkeys(found))


def path_from_root(url_path):
    """A reversed path without the script prefix it was given."""
    return "/" + url_path.removeprefix(get_script_prefix())


def socket_prefixes():
    """Path prefixes of the dashboard's sockets: ``ws/`` under each mount, and the ones
    of earlier releases."""
    return (*(f"{mount}ws/" for mount in mounts()), LEGACY_SOCKETS)


@functools.cache
def internal_prefixes():
    """Path prefixes that are flowscope's own: never traced, never called by a manual
    test. The mounts, the sockets and ``FLOWSCOPE["INTERNAL_PATHS"]``."""
    found = (*mounts(), *page_mounts(), *socket_prefixes())
    return tuple(dict.fromkeys([*found, *flowscope_settings.INTERNAL_PATHS]))


def is_internal_path(path):
    return path.startswith(internal_prefixes())


def forget():
    for cached in (mounts, page_mounts, internal_prefixes):
        cached.cache_clear()


@receiver(setting_changed)
def _forget_on_change(*, setting, **kwargs):
    if setting in ("ROOT_URLCONF", "FLOWSCOPE", "FORCE_SCRIPT_NAME"):
        forget()
