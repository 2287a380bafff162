"""System checks: misconfiguration is reported by ``manage.py check`` with a hint."""

from django.core import checks

from flowscope.conf import DEFAULTS, flowscope_settings


@checks.register(checks.Tags.compatibility)
def check_settings_keys(app_configs=None, **kwargs):
    return [
        checks.Warning(
            f"FLOWSCOPE[{key!r}] is not a flowscope setting and is ignored.",
            hint=f"Known settings: {', '.join(sorted(DEFAULTS))}.",
            id="flowscope.W001",
        )
        for key in flowscope_settings.unknown_keys()
    ]
