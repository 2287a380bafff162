"""The Content-Security-Policy of flowscope's pages: code, styles and data from this origin
(and the static files' own, when they are served from elsewhere); no plugins or framing."""

from urllib.parse import urlsplit

from django.templatetags.static import static


def content_security_policy(request, *, inline_styles=False):
    """The dashboard page has no inline script or style, so it allows neither. Swagger UI
    sets style attributes from its scripts: ``inline_styles`` allows those, never inline
    code."""
    own = f"'self' {_origin(static('flowscope/'))}".strip()
    host = request.get_host()
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {own}",
            f"style-src {own}" + (" 'unsafe-inline'" if inline_styles else ""),
            f"img-src {own} data:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
