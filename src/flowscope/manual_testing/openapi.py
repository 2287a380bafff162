"""The request and response schemas of the project's endpoints, from drf-spectacular.

The project's whole schema is generated once per URLconf and kept: generating it inspects
every view, far too slow for each listing. Operations are found by the URL pattern's
callback and method, as drf-spectacular enumerated them, rather than by re-deriving its
path strings. A project or a view it cannot describe gets no schema, never an error.
"""

import functools
import logging

from django.conf import settings

logger = logging.getLogger("flowscope.manual_testing")

REF_PREFIX = "#/components/schemas/"
MAX_DEPTH = 8  # components nested deeper (or recursive ones) stay as $ref


def schema_for(callback, method):
    """``{"parameters", "request", "responses"}`` of one operation, or None."""
    return _index(settings.ROOT_URLCONF).get((callback, method))


def forget():
    """Drop the kept schemas (after the URLconf or the views changed)."""
    _index.cache_clear()


@functools.lru_cache(maxsize=8)
def _index(urlconf):
    try:
        return _build_index(urlconf)
    except Exception:  # a view drf-spectacular chokes on must not break the listing
        logger.warning("No OpenAPI schema for the project's endpoints", exc_info=True)
        return {}


def _build_index(urlconf):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator(urlconf=urlconf)
    with GENERATOR_STATS.silence():
        schema = generator.get_schema(request=None, public=True)
        located = [
            (
                callback,
                method,
                generator.coerce_path(path, method, _view(generator, callback, method)),
            )
            for path, _regex, method, callback in generator.endpoints
        ]
    components = schema.get("components", {}).get("schemas", {})
    index = {}
    for callback, method, path in located:
        operation = schema["paths"].get(path, {}).get(method.lower())
        if operation:
            index[callback, method] = _describe(operation, components)
    return index


def _view(generator, callback, method):
    return generator.create_view(callback, method)


def _describe(operation, components):
    return {
        "parameters": _inline(operation.get("parameters", []), components),
        "request": _inline(_content_schema(operation.get("requestBody", {})), components),
        "responses": {
            status: _inline(_content_schema(answer), components)
            for status, answer in operation.get("responses", {}).items()
        },
    }


def _content_schema(part):
    """The schema of the JSON content (else the first content type), or None."""
    content = part.get("content", {})
    chosen = content.get("application/json") or next(iter(content.values()), {})
    return chosen.get("schema")


def _inline(node, components, depth=0):
    """``node`` with ``$ref``s to components replaced by what they name."""
    if isinstance(node, list):
        return [_inline(item, components, depth) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "")
    if ref.startswith(REF_PREFIX) and depth < MAX_DEPTH:
        target = components.get(ref.removeprefix(REF_PREFIX))
        return node if target is None else _inline(target, components, depth + 1)
    return {key: _inline(value, components, depth) for key, value in node.items()}
