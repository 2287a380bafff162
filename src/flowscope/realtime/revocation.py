"""Closing a socket as soon as what opened it ends: its session logged out, its token
deleted.

Each socket joins a group named after its credential (a digest of the session key or of the
token, never the secret itself). ``user_logged_out`` and a deleted DRF ``Token`` send
``flowscope.revoked`` to that group through the channel layer once the change is
committed, so the sockets it opened, in every process, close at once with 4401. Other ends
(a session that expires, a user no longer active or staff) are found by each socket's
periodic check, every ``REALTIME_AUTH_RECHECK_SECONDS``.
"""

import hashlib
import logging

from django.apps import apps
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete

from flowscope.realtime.publisher import publisher

logger = logging.getLogger("flowscope.realtime")
REVOKED = {"type": "flowscope.revoked"}


def session_group(session_key):
    return f"flowscope.session.{_digest(session_key)}"


def token_group(token_key):
    return f"flowscope.token.{_digest(token_key)}"


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()[:40]


def groups_of(scope):
    """The revocation group of the credential a socket was opened with."""
    if "flowscope_token" in scope:
        return [token_group(scope["flowscope_token"])]
    key = getattr(scope.get("session"), "session_key", None)
    return [session_group(key)] if key else []


def revoke(group):
    """Close the sockets of ``group`` after the current transaction commits. Never raises
    into the host's logout or delete: a failure is logged, and the periodic check closes
    those sockets later."""

    def send():
        try:
            publisher.deliver(group, REVOKED)
        except Exception:
            publisher.count("failed")
            logger.exception("flowscope could not close the sockets of a revoked credential")

    transaction.on_commit(send, robust=True)


def _logged_out(sender, request, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        revoke(session_group(session.session_key))


def _token_deleted(sender, instance, **kwargs):
    revoke(token_group(instance.key))


def connect():
    """Called once by the app's ``ready()``."""
    user_logged_out.connect(_logged_out, dispatch_uid="flowscope.realtime.revocation.logout")
    if apps.is_installed("rest_framework.authtoken"):
        from rest_framework.authtoken.models import Token

        post_delete.connect(
            _token_deleted, sender=Token, dispatch_uid="flowscope.realtime.revocation.token"
        )
