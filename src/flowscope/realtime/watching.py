"""Which workflows someone is watching live, known to every process.

A workflow's own live events (each step, its status, its errors) go to that workflow's
channel-layer group: one ``group_send`` per workflow per batch, almost all of them to
nobody. Sending only to watched workflows keeps a writer's work to the few that have a
socket open: each open workflow socket keeps a key in Django's cache (``watch``), renewed
while it stays open, and the publisher asks for the keys of a batch's workflows in one
``get_many``.

Processes that write and processes that serve sockets must share that cache (Redis, as
the example project sets it up with ``REDIS_URL``). With a cache of this process only
(``LocMemCache``) and a channel layer that reaches other processes, the publisher cannot
know, and sends to every workflow as before (``watched`` returns None).
"""

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.cache import cache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

from flowscope.conf import flowscope_settings
from flowscope.realtime.groups import workflow_group


def _key(correlation_id):
    return f"flowscope:watching:{workflow_group(correlation_id)}"


def _seconds():
    """Long enough to outlive the socket's renewal (every REALTIME_AUTH_RECHECK_SECONDS)."""
    return 2 * flowscope_settings.REALTIME_AUTH_RECHECK_SECONDS + 30


async def watch(correlation_id):
    """Called by a workflow socket when it opens, and again while it stays open."""
    await cache.aset(_key(correlation_id), 1, _seconds())


def watched(correlation_ids):
    """The ones of ``correlation_ids`` a socket is watching; None when that cannot be
    known here (every one may be)."""
    if not _shared():
        return None
    found = cache.get_many([_key(cid) for cid in correlation_ids])
    return {cid for cid in correlation_ids if _key(cid) in found}


def _shared():
    """Whether the cache is seen by every process the channel layer reaches."""
    local_cache = isinstance(cache, LocMemCache | DummyCache)
    return not local_cache or isinstance(get_channel_layer(), InMemoryChannelLayer)
