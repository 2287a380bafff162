"""The example project as a host that added flowscope but none of what it can go without:
no drf-spectacular apps or schema class, no channel layer. Dashboard access is open and
the health key is "k", so that a test reads answers without a user in a database."""

from ecommerce_project.settings import *  # noqa: F403
from ecommerce_project.settings import FLOWSCOPE, INSTALLED_APPS, REST_FRAMEWORK

INSTALLED_APPS = [app for app in INSTALLED_APPS if not app.startswith("drf_spectacular")]
REST_FRAMEWORK = {key: value for key, value in REST_FRAMEWORK.items() if "SCHEMA" not in key}
CHANNEL_LAYERS = {}
FLOWSCOPE = {
    **FLOWSCOPE,
    "PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "HEALTH_KEYS": ["k"],
}
