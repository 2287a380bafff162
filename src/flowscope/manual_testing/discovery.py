"""Every route of the project's URLconf, for the dashboard's endpoint picker.

The URLconf is walked as Django resolves it — includes at any depth, DRF routers, path
converters and regex routes — so that nothing the project serves is missing, whatever
produced it. Patterns are written the way capture names API steps
(``/api/v1/products/<int:pk>/``), so a route and its traces match by name.
"""

from typing import NamedTuple

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from flowscope.manual_testing import openapi
from flowscope.manual_testing.internal import is_internal, view_of

CONVERTERS = {"IntConverter": "int", "StringConverter": "str", "SlugConverter": "slug",
              "UUIDConverter": "uuid", "PathConverter": "path"}  # fmt: skip
NO_SCHEMA = ("HEAD", "OPTIONS")  # answered by every view the same way


class Route(NamedTuple):
    entry: URLPattern
    route: str  # the patterns joined as Django joins them for ResolverMatch.route
    parts: tuple  # the pattern of each include on the way, then the route's own
    app_names: tuple
    namespaces: tuple

    @property
    def pattern(self):
        return "/" + self.route.lstrip("^").rstrip("$")


def endpoints(include_internal=False):
    """One dict per route, in URLconf order; flowscope's own and the admin's only when
    ``include_internal``."""
    found = []
    for route in routes():
        internal = is_internal(route.pattern, route.entry.callback, route.app_names)
        if include_internal or not internal:
            found.append({**_describe(route), "internal": internal})
    return found


def routes():
    """Every route of the URLconf, in the order Django tries them."""
    return _walk(get_resolver().url_patterns)


def _walk(patterns, route="", parts=(), app_names=(), namespaces=()):
    for entry in patterns:
        joined = route + str(entry.pattern).removeprefix("^") if route else str(entry.pattern)
        chain = (*parts, entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(
                entry.url_patterns,
                joined,
                chain,
                (*app_names, entry.app_name) if entry.app_name else app_names,
                (*namespaces, entry.namespace) if entry.namespace else namespaces,
            )
        elif isinstance(entry, URLPattern):
            yield Route(entry, joined, chain, app_names, namespaces)


def _describe(route):
    callback = route.entry.callback
    view = view_of(callback)
    methods = allowed_methods(callback)
    described = {
        "pattern": route.pattern,
        "name": ":".join((*route.namespaces, route.entry.name)) if route.entry.name else None,
        "methods": methods,
        "view": f"{view.__module__}.{view.__qualname__}",
        "parameters": [param for part in route.parts for param in _parameters(part)],
        "regex": any(isinstance(part, RegexPattern) for part in route.parts),
        "schema": {m: openapi.schema_for(callback, m) for m in methods or () if m not in NO_SCHEMA},
    }
    if getattr(callback, "actions", None):
        described["actions"] = declared_actions(callback.actions)
    return described


def declared_actions(actions):
    """The viewset's own actions. DRF adds ``head`` to the mapping the first time the
    route serves a GET; it is the GET action, and listing it would depend on traffic."""
    get = actions.get("get")
    return {
        method: action for method, action in actions.items() if (method, action) != ("head", get)
    }


def allowed_methods(callback):
    """The HTTP methods a route answers, from its view; None when the view does not say
    (a plain function view may answer any)."""
    view = view_of(callback)
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: its actions mapping says
        handlers = {*actions, "options"}
    elif isinstance(view, type):
        handlers = {name for name in view.http_method_names if hasattr(view, name)}
    else:
        return None
    if "get" in handlers:
        handlers.add("head")  # Django and DRF answer HEAD with the GET handler
    names = getattr(callback, "initkwargs", {}).get("http_method_names", view.http_method_names)
    return [name.upper() for name in names if name in handlers]


def _parameters(pattern):
    if isinstance(pattern, RegexPattern):
        return [{"name": name, "type": "regex"} for name in pattern.regex.groupindex]
    return [
        {"name": name, "type": CONVERTERS.get(type(converter).__name__, type(converter).__name__)}
        for name, converter in pattern.converters.items()
    ]
