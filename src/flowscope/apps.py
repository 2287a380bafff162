from django.apps import AppConfig


class FlowscopeConfig(AppConfig):
    name = "flowscope"
    verbose_name = "Flowscope"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from flowscope import checks  # noqa: F401  (registers the system checks)
