"""Flowscope's URLs in the host's URLconf: mounted, and reaching flowscope's own views (a
host pattern before flowscope's include, such as a catch-all, answers them instead)."""

from django.core import checks
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

MOUNT = 'path("debugging/", include("flowscope.urls"))'
SHOWN = 3  # shadowed paths named in the message; the rest are counted


@checks.register(checks.Tags.urls)
def check_mounts(app_configs=None, **kwargs):
    names = dict(flowscope_url_names(get_resolver().url_patterns))
    if not names:
        return [
            checks.Warning(
                "Flowscope's URLs are not in ROOT_URLCONF: the dashboard, its API, ingest "
                "and OTLP have no address.",
                hint=f"Add {MOUNT} to your urlpatterns, before any catch-all pattern.",
                id="flowscope.W015",
            )
        ]
    shadowed = [found for found in map(_answered_elsewhere, names.items()) if found]
    if not shadowed:
        return []
    return [
        checks.Error(
            f"Flowscope's URLs are answered by other views: {_list(shadowed)}. A pattern "
            "listed before flowscope's include in ROOT_URLCONF (a catch-all?) matches them.",
            hint="Move flowscope's include above that pattern in your urlpatterns.",
            id="flowscope.E009",
        )
    ]


def flowscope_url_names(patterns, namespaces=()):
    """``(name, callback)`` of each named flowscope view whose URL takes no arguments, with
    its namespaces (``flowscope:health``), wherever and however often it is mounted."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from flowscope_url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and _plain_flowscope_route(entry):
            yield ":".join((*namespaces, entry.name)), entry.callback


def _plain_flowscope_route(entry):
    return (
        entry.name is not None
        and entry.callback.__module__.startswith("flowscope.")
        and isinstance(entry.pattern, RoutePattern)
        and not entry.pattern.converters
    )


def _answered_elsewhere(name_and_callback):
    """``(path, the view that answers it)`` when that is not flowscope's view, else None."""
    name, callback = name_and_callback
    try:
        path = reverse(name)
    except NoReverseMatch:  # a name that the host's own URL names hide
        return None
    match = resolve(path)
    if match.func is callback:
        return None
    view = getattr(match.func, "view_class", match.func)
    return path, f"{view.__module__}.{view.__qualname__}"


def _list(shadowed):
    named = ", ".join(f"{path} by {view}" for path, view in shadowed[:SHOWN])
    more = len(shadowed) - SHOWN
    return f"{named} and {more} more" if more > 0 else named


def mounted(name):
    """Whether the URL name reverses (its view is in the URLconf)."""
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
