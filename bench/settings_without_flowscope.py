"""The example's settings with flowscope's middleware removed: the benchmark's OFF side.

Everything else is left as it is (flowscope stays installed, so its pass-through database
and cache hooks remain), so the difference measured is what tracing a request costs.
"""

from ecommerce_project.settings import *  # noqa: F403

MIDDLEWARE = [
    name
    for name in MIDDLEWARE  # noqa: F405
    if name != "flowscope.capture.middleware.FlowscopeMiddleware"
]
