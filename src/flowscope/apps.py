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
        from flowscope.realtime import publisher
        from flowscope.signals import batch_committed, recorder_tick

        batch_committed.connect(publisher.on_batch_committed, dispatch_uid="flowscope.live")
        recorder_tick.connect(publisher.on_recorder_tick, dispatch_uid="flowscope.live")
        root = logging.getLogger()
        if not any(isinstance(h, errors.FlowscopeLogHandler) for h in root.handlers):
            root.addHandler(errors.FlowscopeLogHandler())
