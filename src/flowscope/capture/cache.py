"""Cache steps: every operation on every configured cache, with hit/miss and duration.

Django creates cache objects lazily, per thread and per async context, through
``caches.create_connection``; the collector wraps that factory once (``install``) and wraps
the operations of each cache object it makes. ``uninstall`` restores both. Outside a traced
request a wrapped operation only calls through.
"""

import functools
from contextvars import ContextVar

from django.core.cache import caches

from flowscope.capture import context
from flowscope.capture.collectors import Collector
from flowscope.internal_errors import capture_internal_errors
from flowscope.records.trace import describe_exception

OPERATIONS = (
    "get",
    "set",
    "add",
    "delete",
    "get_many",
    "set_many",
    "delete_many",
    "has_key",
    "incr",
    "decr",
    "touch",
    "get_or_set",
    "clear",
)
MAX_KEYS_LISTED = 10

# Backends implement some operations with others (get_or_set calls get and add): only the
# outermost call is a step.
_inside_cache_call = ContextVar("flowscope_inside_cache_call", default=False)


MANY_KEYS = ("get_many", "delete_many")


def _describe_call(operation, args):
    """The keys as the host gave them: scrubbed when the trace is prepared."""
    if operation == "clear" or not args:
        return {}
    first = args[0]
    if operation in (*MANY_KEYS, "set_many"):
        keys = list(first)
        return {"keys": keys[:MAX_KEYS_LISTED], "key_count": len(keys)}
    return {"key": first}


def _outcome(operation, args, kwargs, result):
    if operation == "get":
        default = kwargs.get("default", args[1] if len(args) > 1 else None)
        return {"hit": result is not default}
    if operation == "has_key":
        return {"hit": bool(result)}
    if operation == "get_many":
        requested = len(args[0]) if args else 0
        return {"hits": len(result), "misses": requested - len(result)}
    return {}


def _traced(method, operation, alias):
    name = f"cache.{operation}"

    @functools.wraps(method)
    def traced(*args, **kwargs):
        trace = context.current_trace()
        if trace is None or not trace.sampled or _inside_cache_call.get():
            return method(*args, **kwargs)
        if operation in MANY_KEYS and args:  # keys may be a generator: read it only once
            args = (list(args[0]), *args[1:])
        span = None
        with capture_internal_errors():
            metadata = {"alias": alias, "operation": operation, **_describe_call(operation, args)}
            span = context.start_leaf_span(trace, "cache", name, metadata)
        token = _inside_cache_call.set(True)
        try:
            result = method(*args, **kwargs)
        except Exception as exc:
            if span is not None:
                span.metadata["error"] = describe_exception(exc)
                span.finish("error")
            raise
        finally:
            _inside_cache_call.reset(token)
        if span is not None:
            with capture_internal_errors():
                span.metadata.update(_outcome(operation, args, kwargs, result))
            span.finish()
        return result

    traced.flowscope_original = method
    return traced


def instrument(cache, alias):
    """Wrap one cache object's operations (idempotent)."""
    if getattr(cache, "flowscope_alias", None):
        return cache
    for operation in OPERATIONS:
        setattr(cache, operation, _traced(getattr(cache, operation), operation, alias))
    cache.flowscope_alias = alias
    return cache


def _restore(cache):
    for operation in OPERATIONS:
        cache.__dict__.pop(operation, None)
    cache.__dict__.pop("flowscope_alias", None)


class CacheCollector(Collector):
    """Every operation on every configured cache: key (scrubbed), hit or miss, duration."""

    def install(self):
        if getattr(caches.create_connection, "flowscope_original", None):
            return
        factory = caches.create_connection

        def create_connection(alias):
            return instrument(factory(alias), alias)

        create_connection.flowscope_original = factory
        caches.create_connection = create_connection
        for alias in caches:
            if hasattr(caches._connections, alias):  # opened before install (as Django's all())
                instrument(caches[alias], alias)

    def uninstall(self):
        original = getattr(caches.create_connection, "flowscope_original", None)
        if original is None:
            return
        del caches.create_connection  # back to the class's method
        for cache in caches.all(initialized_only=True):
            _restore(cache)
