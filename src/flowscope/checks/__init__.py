"""System checks: ``manage.py check`` names every piece of the host's configuration that
flowscope misses, and the fix in its hint. One module a concern; importing this package
registers them all (the app's ``ready()`` does). Every id, what it means and its fix:
docs/configuration.md, "System checks".
"""

from flowscope.checks import (
    asgi,
    budgets,
    channel_layer,
    funnel,
    installed_apps,
    keys,
    middleware,
    mounts,
    options,
    workflows,
)

__all__ = [
    "asgi",
    "budgets",
    "channel_layer",
    "funnel",
    "installed_apps",
    "keys",
    "middleware",
    "mounts",
    "options",
    "workflows",
]
