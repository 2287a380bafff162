"""Ingest bodies refused while they arrive, under ASGI.

Django's ASGI handler reads a request's whole body (to memory, then to a temporary file)
before any view runs, so the ingest views' ``INGEST_MAX_BYTES`` would only be checked
after a sender streamed a gigabyte. Wrap the HTTP app in the host's ``asgi.py``::

    ProtocolTypeRouter({"http": limit_ingest_bodies(django_asgi_app), ...})

For the ingest endpoints only, a body announced (``Content-Length``) over the limit is not
read at all, and a body sent without a length (chunked) is read up to the limit and no
further: the view is handed what was read, answers ``413`` in its own format, and the
connection is closed after the answer instead of the rest being read. Other requests pass
untouched. Under WSGI the view refuses on ``Content-Length`` before reading, and Django
reads no body sent without one.
"""

import asyncio
import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import Resolver404, resolve

from flowscope.conf import flowscope_settings
from flowscope.ingest.views import IngestAPIView


def limit_ingest_bodies(app):
    """``app`` (Django's ASGI HTTP app) with ingest bodies cut off at ``INGEST_MAX_BYTES``."""

    async def limited_app(scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not _is_ingest(scope):
            return await app(scope, receive, send)
        body = LimitedBody(receive, send, flowscope_settings.INGEST_MAX_BYTES, _length(scope))
        return await app(scope, body.receive, body.send)

    return limited_app


class LimitedBody:
    """The ``receive`` and ``send`` of one request whose body may not pass ``limit`` bytes."""

    def __init__(self, receive, send, limit, declared_length):
        self._receive, self._send, self.limit = receive, send, limit
        # Announced too large: the view refuses it on the header, so nothing is read.
        self.refused = declared_length is not None and declared_length > limit
        self.ended = False
        self.received = 0

    async def receive(self):
        if self.refused and not self.ended:
            self.ended = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if self.ended:
            if self.refused:
                # Nothing more of a refused body is read; Django cancels this wait (it
                # listens for a disconnect) once the answer is sent.
                await asyncio.Event().wait()
            return await self._receive()
        return self._within_limit(await self._receive())

    def _within_limit(self, message):
        if message["type"] != "http.request":
            return message
        chunk = message.get("body", b"")
        self.received += len(chunk)
        if self.received > self.limit:  # the view sees more than the limit and says 413
            self.refused = self.ended = True
            over = self.received - self.limit - 1
            return {"type": "http.request", "body": chunk[: len(chunk) - over], "more_body": False}
        self.ended = not message.get("more_body", False)
        return message

    async def send(self, message):
        if self.refused and message["type"] == "http.response.start":
            # The rest of the body is still on its way: close rather than read it through.
            headers = [*message.get("headers", []), (b"connection", b"close")]
            message = {**message, "headers": headers}
        await self._send(message)


def _length(scope):
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_ingest(scope):
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    return _is_ingest_path(path)


@functools.lru_cache(maxsize=512)  # asked only for POSTs, most of them to a few paths
def _is_ingest_path(path):
    try:
        view_class = getattr(resolve(path).func, "view_class", None)
    except Resolver404:
        return False
    return isinstance(view_class, type) and issubclass(view_class, IngestAPIView)


@receiver(setting_changed)
def _forget_paths(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _is_ingest_path.cache_clear()
