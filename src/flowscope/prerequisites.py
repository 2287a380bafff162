"""What flowscope's optional parts need from the host project, and what is missing.

The live feeds need a channel layer; the API docs (Swagger UI) need drf-spectacular's
templates and static files. Without them flowscope still works, and says so the same way
everywhere: ``manage.py check`` warns, the health endpoint and the dashboard page say
what is off, a socket closes with the reason, the API docs answer JSON instead of a 500.
"""

from dataclasses import dataclass

from channels.layers import get_channel_layer
from django.apps import apps
from django.conf import settings

API_DOCS_APPS = ("drf_spectacular", "drf_spectacular_sidecar")


@dataclass(frozen=True)
class Missing:
    what: str  # what is missing, short enough for the page's header
    fix: str  # what the host does about it
    broken: bool = False  # configured but failing, rather than left out


def live_updates():
    """Why sockets cannot carry live events here (a ``Missing``), or None."""
    if not getattr(settings, "CHANNEL_LAYERS", None):
        return Missing(
            "no channel layer",
            "Set CHANNEL_LAYERS (channels_redis's RedisChannelLayer; the in-memory layer "
            "serves one process only). Until then the dashboard polls over HTTP.",
        )
    try:
        layer = get_channel_layer()
    except Exception as exc:  # a backend that cannot be imported or made
        return Missing(
            f"the channel layer cannot be made ({type(exc).__name__}: {exc})",
            "Fix the BACKEND and CONFIG of CHANNEL_LAYERS['default'] (channels_redis needs "
            "flowscope[redis]).",
            broken=True,
        )
    if layer is None:
        return Missing(
            'no "default" channel layer',
            'Name a layer "default" in CHANNEL_LAYERS: flowscope uses that one.',
        )
    return None


def api_docs():
    """Why the Swagger UI cannot be served here (a ``Missing``), or None. The schema itself
    needs nothing from the host."""
    absent = [name for name in API_DOCS_APPS if not apps.is_installed(name)]
    if not absent:
        return None
    names = ", ".join(repr(name) for name in absent)
    return Missing(
        f"{names} not in INSTALLED_APPS",
        f"Add {names} to INSTALLED_APPS: the Swagger UI is their template and static files.",
    )
