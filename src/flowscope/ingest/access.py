"""Who may send events: an ingest key, from an allowed origin, within a rate limit per key;
and CORS for the browsers of other allowed origins."""

import hashlib
import hmac

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from flowscope.conf import flowscope_settings

KEY_HEADER = "X-Flowscope-Key"


def key_of(request):
    """The header, or ``?key=`` for ``navigator.sendBeacon``, which cannot set headers."""
    return request.headers.get(KEY_HEADER) or request.GET.get("key", "")


def is_known_key(key):
    return any(
        hmac.compare_digest(key.encode(), known.encode())
        for known in flowscope_settings.INGEST_KEYS
    )


class IngestKeyAuthentication(BaseAuthentication):
    """Authenticates the sender, not a user: ``request.auth`` is the key."""

    def authenticate(self, request):
        key = key_of(request)
        if not key:
            return None
        if not is_known_key(key):
            raise AuthenticationFailed("Unknown ingest key.", "invalid_key")
        return None, key

    def authenticate_header(self, request):
        return KEY_HEADER  # makes a refusal a 401, as for any credentials


class HasIngestKey(BasePermission):
    message = f"An ingest key is required in the {KEY_HEADER} header."

    def has_permission(self, request, view):
        return bool(request.auth)


def origin_allowed(request):
    """A request without ``Origin`` (a server-side sender: an OTLP exporter, a script), from
    the page's own origin, or from one listed in ``INGEST_ORIGINS`` (``"*"``: any).

    An ingest key sits in the pages that send events, so anyone can copy it; the origin is
    what a browser vouches for, so a key copied into another site's page is of no use
    there. (A server can forge ``Origin``: the key and the rate limit are what hold it.)
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    allowed = flowscope_settings.INGEST_ORIGINS
    return "*" in allowed or origin in allowed or origin == own_origin(request)


def own_origin(request):
    """The origin the request was sent to, as a browser names it (as Django's CSRF check
    does; behind a proxy, ``SECURE_PROXY_SSL_HEADER`` and ``USE_X_FORWARDED_HOST`` tell)."""
    return f"{request.scheme}://{request.get_host()}"


class FromAllowedOrigin(BasePermission):
    message = (
        "Events from this origin are not accepted: add it to FLOWSCOPE['INGEST_ORIGINS'] "
        "to allow it."
    )
    code = "origin_not_allowed"

    def has_permission(self, request, view):
        return origin_allowed(request)


class IngestKeyThrottle(SimpleRateThrottle):
    """``INGEST_RATE`` per key, counted in Django's cache (shared by processes on Redis)."""

    scope = "flowscope_ingest"

    def get_rate(self):
        return flowscope_settings.INGEST_RATE

    def get_cache_key(self, request, view):
        ident = hashlib.sha256(str(request.auth).encode()).hexdigest()[:24]
        return self.cache_format % {"scope": self.scope, "ident": ident}


def cors_headers(request):
    """CORS answer headers for an allowed ``Origin``; empty for any other."""
    origin = request.headers.get("Origin")
    allowed = flowscope_settings.INGEST_ORIGINS
    if not origin or not ("*" in allowed or origin in allowed):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": (
            f"Content-Type, Content-Encoding, {KEY_HEADER}, Idempotency-Key"
        ),
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }
