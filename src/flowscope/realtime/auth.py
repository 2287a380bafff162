"""Who is on the other end of a socket: the session (Channels' AuthMiddlewareStack) or an
``Authorization: Token …`` header on the handshake, and whether they may watch."""

from importlib import import_module

from channels.db import database_sync_to_async
from django.apps import apps
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare

from flowscope.access import may_watch


class TokenAuthMiddleware:
    """Sets ``scope["user"]`` from a DRF token header, when there is one."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", ()))
        header = headers.get(b"authorization", b"").decode("latin-1")
        if header.lower().startswith("token "):
            scope = {
                **scope,
                "user": await user_for_token(header[6:].strip()),
                "flowscope_token": header[6:].strip(),
            }
        return await self.app(scope, receive, send)


@database_sync_to_async
def user_for_token(key):
    if not apps.is_installed("rest_framework.authtoken"):
        return AnonymousUser()
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token and token.user.is_active else AnonymousUser()


@database_sync_to_async
def still_allowed(scope):
    """``(allowed, close_code)`` now: a logged-out session, a session a password change
    ended, a revoked token, a user no longer active or staff all end the socket."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return False, 4401
    fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    if fresh is None:
        return False, 4401
    if "flowscope_token" in scope:
        from rest_framework.authtoken.models import Token

        if not Token.objects.filter(key=scope["flowscope_token"], user_id=user.pk).exists():
            return False, 4401
    elif not _session_alive(scope, fresh):
        return False, 4401
    return (True, None) if may_watch(fresh) else (False, 4403)


def _session_alive(scope, user):
    """Read the session again from its store (logging out flushes it) and verify it as
    Django's ``get_user`` does: a password change ends the user's other sessions."""
    session = scope.get("session")
    key = getattr(session, "session_key", None) if session is not None else None
    if key is None:
        return False
    stored = import_module(settings.SESSION_ENGINE).SessionStore(key)
    if str(stored.get(SESSION_KEY)) != str(user.pk):
        return False
    return _hash_verified(stored.get(HASH_SESSION_KEY), user)


def _hash_verified(session_hash, user):
    if not hasattr(user, "get_session_auth_hash"):  # a user model without the check
        return True
    if not session_hash:
        return False
    fallbacks = getattr(user, "get_session_auth_fallback_hash", tuple)()
    return any(
        constant_time_compare(session_hash, known)
        for known in (user.get_session_auth_hash(), *fallbacks)
    )
