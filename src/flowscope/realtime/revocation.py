"""Closing a socket as soon as what opened it ends: its session logged out, its token
deleted, its user changed (password, active, staff).

Each socket joins a group named after its credential (a digest of the session key or of the
token, never the secret itself) and one named after its user. ``user_logged_out`` and a
deleted DRF ``Token`` send ``flowscope.revoked`` to the credential's group through the
channel layer once the change is committed, so the sockets it opened, in every process,
close at once with 4401. A saved user sends ``flowscope.recheck`` to the user's group: each
of its sockets checks at once whether it may stay (a password change ends the user's other
sessions, as Django does). A session that expires is found by each socket's periodic
check, every ``REALTIME_AUTH_RECHECK_SECONDS``.
"""

import hashlib
import logging

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from flowscope.realtime.publisher import publisher

logger = logging.getLogger("flowscope.realtime")
REVOKED = {"type": "flowscope.revoked"}
RECHECK = {"type": "flowscope.recheck"}


def session_group(session_key):
    return f"flowscope.session.{_digest(session_key)}"


def token_group(token_key):
    return f"flowscope.token.{_digest(token_key)}"


def user_group(user_pk):
    return f"flowscope.user.{_digest(str(user_pk))}"


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()[:40]


def groups_of(scope):
    """The revocation groups of the credential a socket was opened with and of its user."""
    user = scope.get("user")
    groups = [user_group(user.pk)] if user is not None and user.is_authenticated else []
    if "flowscope_token" in scope:
        return [*groups, token_group(scope["flowscope_token"])]
    key = getattr(scope.get("session"), "session_key", None)
    return [*groups, session_group(key)] if key else groups


def revoke(group, message=REVOKED):
    """Send ``message`` to the sockets of ``group`` after the current transaction commits.
    Never raises into the host's logout, delete or save: a failure is logged, and the
    periodic check closes those sockets later."""

    def send():
        try:
            publisher.deliver(group, message)
        except Exception:
            publisher.count("failed")
            logger.exception("flowscope could not tell sockets that their credential changed")

    transaction.on_commit(send, robust=True)


def _logged_out(sender, request, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        revoke(session_group(session.session_key))


def _token_deleted(sender, instance, **kwargs):
    revoke(token_group(instance.key))


def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    # A login saves last_login only: nothing a socket depends on.
    if not created and update_fields != frozenset({"last_login"}):
        revoke(user_group(instance.pk), RECHECK)


def connect():
    """Called once by the app's ``ready()``."""
    user_logged_out.connect(_logged_out, dispatch_uid="flowscope.realtime.revocation.logout")
    post_save.connect(
        _user_saved, sender=get_user_model(), dispatch_uid="flowscope.realtime.revocation.user"
    )
    if apps.is_installed("rest_framework.authtoken"):
        from rest_framework.authtoken.models import Token

        post_delete.connect(
            _token_deleted, sender=Token, dispatch_uid="flowscope.realtime.revocation.token"
        )
