import logging

from django.apps import AppConfig


class FlowscopeConfig(AppConfig):
    name = "flowscope"
    verbose_name = "Flowscope"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from flowscope import checks  # noqa: F401  (registers the system checks)
        from flowscope.capture import cache, database, errors, middleware

        database.install()
        cache.install()
        middleware.install()
        root = logging.getLogger()
        if not any(isinstance(h, errors.FlowscopeLogHandler) for h in root.handlers):
            root.addHandler(errors.FlowscopeLogHandler())
