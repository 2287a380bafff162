"""Headers that a proxy in front of the project sets, which a manual test may not send.

A tested request is served in-process: no proxy stands between the tester and the project
to strip what a client sends and set what it vouches for. A test that could send these
would reach the project as whoever and from wherever it claims: a ``Remote-User`` or
``X-Forwarded-User`` that the project trusts from its single-sign-on proxy, an
``X-Forwarded-For`` of an address it lets in, an ``X-Original-URL`` that reroutes the
request past the safety checks. So they are refused (400, naming each), and the tested
request carries instead the forwarding headers of the tester's own request, as the proxy
set them: it arrives from where the tester is, as their own browser's requests do.

Besides the well-known names below, the header of every ``RemoteUserMiddleware`` in
``MIDDLEWARE``, the header of ``SECURE_PROXY_SSL_HEADER`` and the names in
``FLOWSCOPE["MANUAL_TESTING_REFUSED_HEADERS"]`` are refused.
"""

from django.conf import settings
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.utils.module_loading import import_string

from flowscope.conf import flowscope_settings

# Where the request came from (client address, host, scheme, port, path prefix): copied
# from the tester's own request, never taken from a test.
FORWARDING = frozenset(
    {
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-port",
        "x-forwarded-prefix",
        "x-forwarded-proto",
        "x-forwarded-scheme",
        "x-forwarded-server",
        "x-forwarded-ssl",
        "x-real-ip",
        "x-client-ip",
        "x-cluster-client-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "fastly-client-ip",
    }
)
# Who the user is, vouched for by an authenticating proxy (Apache/nginx remote user,
# oauth2-proxy, Azure App Service, Google IAP, AWS ALB, Cloudflare Access, Envoy, client
# certificates): a test brings credentials of its own, never these.
IDENTITY = frozenset(
    {
        "remote-user",
        "x-remote-user",
        "auth-user",
        "x-auth-user",
        "x-authenticated-user",
        "x-forwarded-user",
        "x-forwarded-email",
        "x-forwarded-preferred-username",
        "x-forwarded-groups",
        "x-forwarded-access-token",
        "x-auth-request-user",
        "x-auth-request-email",
        "x-auth-request-preferred-username",
        "x-auth-request-groups",
        "x-auth-request-access-token",
        "x-ms-client-principal",
        "x-ms-client-principal-id",
        "x-ms-client-principal-name",
        "x-goog-authenticated-user-email",
        "x-goog-authenticated-user-id",
        "x-goog-iap-jwt-assertion",
        "x-amzn-oidc-accesstoken",
        "x-amzn-oidc-data",
        "x-amzn-oidc-identity",
        "cf-access-authenticated-user-email",
        "cf-access-jwt-assertion",
        "x-forwarded-client-cert",
        "x-ssl-client-cert",
        "x-ssl-client-dn",
        "x-ssl-client-verify",
        "x-client-cert",
        "ssl-client-cert",
    }
)
# Which path is served, overriding the request line (IIS, some rewriting proxies).
REWRITING = frozenset({"x-original-url", "x-rewrite-url"})


def refused():
    """Every header name (lowercase) a manual test may not send."""
    return FORWARDING | IDENTITY | REWRITING | _of_the_project()


def _of_the_project():
    names = {name.lower() for name in flowscope_settings.MANUAL_TESTING_REFUSED_HEADERS}
    for dotted in settings.MIDDLEWARE:
        middleware = _imported(dotted)
        if isinstance(middleware, type) and issubclass(middleware, RemoteUserMiddleware):
            names.add(_header_name(middleware.header))
    if settings.SECURE_PROXY_SSL_HEADER:
        names.add(_header_name(settings.SECURE_PROXY_SSL_HEADER[0]))
    return names


def _imported(dotted):
    try:
        return import_string(dotted)
    except ImportError:  # Django's own checks report it; it refuses no header here
        return None


def _header_name(meta_key):
    """``"HTTP_X_AUTH_USER"`` -> ``"x-auth-user"``."""
    return meta_key.removeprefix("HTTP_").replace("_", "-").lower()


def forwarding_of(meta):
    """The forwarding headers of the tester's own request, as ``META`` keys and values."""
    keys = {"HTTP_" + name.upper().replace("-", "_") for name in FORWARDING}
    return tuple(sorted((key, value) for key, value in meta.items() if key in keys))
