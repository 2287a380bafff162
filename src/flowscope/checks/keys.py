"""Keys: ingest takes none but INGEST_KEYS, and key settings are lists of keys (a string in
their place is a list of one-letter keys).

Ingest is mounted with the rest of flowscope, used or not: no keys is reported when
``INGEST_ORIGINS`` names senders (they would all be refused), and by ``check --deploy``."""

from django.core import checks

from flowscope.checks.mounts import mounted
from flowscope.conf import flowscope_settings

KEY_SETTINGS = ("INGEST_KEYS", "HEALTH_KEYS")


@checks.register(checks.Tags.security)
def check_keys(app_configs=None, **kwargs):
    invalid = [name for name in KEY_SETTINGS if not _keys(getattr(flowscope_settings, name))]
    messages = [
        checks.Error(
            f"FLOWSCOPE[{name!r}] must be a list of keys, each a non-empty string.",
            hint=f'e.g. "{name}": [os.environ["FLOWSCOPE_{name[:-1]}"]]',
            id="flowscope.E006",
        )
        for name in invalid
    ]
    if "INGEST_KEYS" not in invalid and flowscope_settings.INGEST_ORIGINS:
        messages += _ingest_closed()
    return messages


@checks.register(checks.Tags.security, deploy=True)
def check_ingest_keys_deployed(app_configs=None, **kwargs):
    if flowscope_settings.INGEST_ORIGINS or not _keys(flowscope_settings.INGEST_KEYS):
        return []  # reported by check_keys
    return _ingest_closed()


def _keys(value):
    return isinstance(value, list | tuple) and all(isinstance(k, str) and k for k in value)


def _ingest_closed():
    ingest = mounted("flowscope:ingest") or mounted("flowscope:otlp-traces")
    if flowscope_settings.INGEST_KEYS or not ingest:
        return []
    return [
        checks.Warning(
            "Ingest is mounted but FLOWSCOPE['INGEST_KEYS'] is empty: browser events and "
            "OTLP spans are refused (401) whatever key they send.",
            hint='Set "INGEST_KEYS": [a secret of your own] and send it as X-Flowscope-Key; '
            "silence flowscope.W013 if you send no events.",
            id="flowscope.W013",
        )
    ]
