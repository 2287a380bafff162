"""Routes that are not the project's own API: flowscope's and the admin's.

A manual test may not call them (a test calling ``test_endpoint/`` would call itself, and
flowscope never traces its own paths anyway); the admin is HTML for people, protected by
CSRF, not an API to probe. Discovery hides them unless asked.
"""

from flowscope import mount


def view_of(callback):
    """The view class behind a URL pattern's callback (DRF or Django), else the function."""
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback


def is_internal(path, callback, app_names=()):
    """Whether the route at ``path`` (a path or a route pattern) is flowscope's or the
    admin's: by where it is mounted, by the app that serves it, or by its namespace."""
    if mount.is_internal_path(path):
        return True
    module = getattr(view_of(callback), "__module__", "") or ""
    return module.split(".", 1)[0] == "flowscope" or "admin" in app_names
