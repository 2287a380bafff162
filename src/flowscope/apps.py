from django.apps import AppConfig


class FlowscopeConfig(AppConfig):
    name = "flowscope"
    verbose_name = "Flowscope"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from flowscope import checks  # noqa: F401  (registers the system checks)
        from flowscope.alerts import checks as alert_checks  # noqa: F401
        from flowscope.alerts.evaluation import evaluate_committed
        from flowscope.capture.collectors import install_collectors
        from flowscope.invariants import checks as invariant_checks  # noqa: F401
        from flowscope.invariants.checking import check_committed
        from flowscope.realtime import revocation
        from flowscope.realtime.publisher import publish_committed
        from flowscope.recording.recorder import add_follow_up, add_sink

        install_collectors()  # FLOWSCOPE["COLLECTORS"]
        add_sink(publish_committed)  # live events follow every committed batch
        add_sink(evaluate_committed)  # FLOWSCOPE["ALERT_RULES"]
        add_follow_up(check_committed)  # FLOWSCOPE["INVARIANTS"]
        revocation.connect()  # a logout or a deleted token closes its sockets
