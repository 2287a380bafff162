"""System checks of the alert settings: rules that cannot be read, destinations that are
not addresses or URLs. ``manage.py check`` (and runserver, migrate) report them; a server
started without checks logs the rule error once and sends no alert."""

from urllib.parse import urlsplit

from django.core import checks

from flowscope.alerts.rules import RuleError, configured_rules
from flowscope.conf import flowscope_settings


@checks.register(checks.Tags.compatibility)
def check_alert_rules(app_configs=None, **kwargs):
    try:
        configured_rules()
    except RuleError as exc:
        return [
            checks.Error(
                f"FLOWSCOPE['ALERT_RULES']: {exc}.",
                hint="Each rule: {'name': ..., 'kind': ..., and the kind's fields}; kinds "
                "and fields are listed in flowscope's docs/configuration.md (Alerts).",
                id="flowscope.E170",
            )
        ]
    return []


@checks.register(checks.Tags.compatibility)
def check_alert_destinations(app_configs=None, **kwargs):
    return [
        checks.Error(f"FLOWSCOPE[{name!r}]: {problem}.", hint=hint, id="flowscope.E171")
        for name, problem, hint in destination_problems()
    ]


def destination_problems():
    emails, hooks = flowscope_settings.ALERT_EMAILS, flowscope_settings.ALERT_WEBHOOKS
    if not _is_list_of_text(emails) or not all("@" in address for address in emails):
        yield "ALERT_EMAILS", f"{emails!r} is not a list of e-mail addresses", "['ops@example.com']"
    if not _is_list_of_text(hooks) or not all(_is_web_url(url) for url in hooks):
        yield "ALERT_WEBHOOKS", f"{hooks!r} is not a list of http(s) URLs", "['https://…']"
    for name, minimum in (
        ("ALERT_WEBHOOK_TIMEOUT", 0.1),
        ("ALERT_DELIVERY_RETRIES", 0),
        ("ALERT_QUEUE_SIZE", 1),
        ("ALERT_COOLDOWN_SECONDS", 1),
    ):
        value = getattr(flowscope_settings, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            yield name, f"{value!r} is not a number of {minimum} or more", "See its default."


def _is_list_of_text(value):
    return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)


def _is_web_url(url):
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
