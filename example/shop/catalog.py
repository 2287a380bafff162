"""Product reads through Django's cache.

Product pages and list pages are cached; a list key carries a catalog version that a
stock change bumps, so lists never show stock older than the last checkout.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "catalog:version"


def product_key(product_id):
    return f"catalog:product:{product_id}"


def list_key(fingerprint):
    version = cache.get_or_set(VERSION_KEY, time.time_ns, timeout=None)
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return f"catalog:list:v{version}:{digest}"


def cached(key, build):
    """Return the cached value at ``key``, building and storing it on a miss."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, settings.SHOP_PRODUCT_CACHE_SECONDS)
    return value


def invalidate(product_ids):
    """Forget the cached pages of these products and every cached list."""
    cache.delete_many([product_key(pk) for pk in product_ids])
    # A fresh, never-used version rather than incr(): safe even if the key was evicted.
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)
