"""Alert rules as configured in ``FLOWSCOPE["ALERT_RULES"]``, read and checked.

Rules live in the settings rather than in a model editable through the API: they are
reviewed and deployed with the code, every process reads the same ones without a query on
the writer's thread, and where alerts go (addresses, webhook URLs that hold secrets) is
never changed by a dashboard user.
"""

from dataclasses import dataclass, field

from flowscope.conf import flowscope_settings
from flowscope.models import AlertEvent

KINDS = tuple(AlertEvent.Kind.values)
# The fields a kind reads besides "name" and "kind", with their defaults (REQUIRED: none).
REQUIRED = object()
FIELDS = {
    "p95": {
        "metric": "response_time_ms",
        "layer": "api",
        "above": REQUIRED,
        "components": [],
        "min_count": 5,
    },
    "error_rate": {"layer": "api", "above": REQUIRED, "components": [], "min_count": 20},
    "new_error_group": {"layers": []},
    "workflow_failure_rate": {
        "above": REQUIRED,
        "workflow_types": [],
        "window_seconds": 300,
        "min_count": 5,
    },
    "latency_budget": {"workflow_types": [], "window_seconds": 900, "min_count": 5},
}
# The rollup metrics that have a p95 (the others are one value a window).
P95_METRICS = ("response_time_ms", "response_size_bytes", "query_count")


class RuleError(ValueError):
    """A rule that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    options: dict = field(default_factory=dict)
    cooldown_seconds: int = 900

    def covers(self, component):
        """Whether the rule watches this route (or SQL, or span): the listed ones, else
        every one but the layer's total (``*``)."""
        listed = self.options.get("components") or []
        return component in listed if listed else component != "*"


def read_rule(entry, default_cooldown):
    """A ``Rule`` from one entry of ALERT_RULES; ``RuleError`` saying what is wrong."""
    if not isinstance(entry, dict):
        raise RuleError(f"{entry!r} is not a dict")
    name, kind = entry.get("name"), entry.get("kind")
    if not isinstance(name, str) or not name or len(name) > 100:
        raise RuleError(f'{entry!r} needs a "name" (text, up to 100 characters)')
    if kind not in KINDS:
        raise RuleError(f'rule {name!r}: "kind" must be one of {", ".join(KINDS)}')
    known = FIELDS[kind]
    unknown = sorted(set(entry) - set(known) - {"name", "kind", "cooldown_seconds"})
    if unknown:
        raise RuleError(f"rule {name!r}: {', '.join(unknown)} not read by kind {kind!r}")
    options = {key: entry.get(key, default) for key, default in known.items()}
    _check_options(name, kind, options)
    cooldown = entry.get("cooldown_seconds", default_cooldown)
    _check_number(name, "cooldown_seconds", cooldown, minimum=1)
    return Rule(name, kind, options, int(cooldown))


def _check_options(name, kind, options):
    for key, value in options.items():
        if value is REQUIRED:
            raise RuleError(f"rule {name!r}: kind {kind!r} needs {key!r}")
        if key == "above":
            _check_number(name, key, value, minimum=0)
        elif key in ("min_count", "window_seconds"):
            _check_number(name, key, value, minimum=1)
        elif isinstance(FIELDS[kind][key], list) and not _is_list_of_text(value):
            raise RuleError(f"rule {name!r}: {key!r} must be a list of text")
    if kind == "p95" and options["metric"] not in P95_METRICS:
        raise RuleError(f'rule {name!r}: "metric" must be one of {", ".join(P95_METRICS)}')


def _check_number(name, key, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise RuleError(f"rule {name!r}: {key!r} must be a number, {minimum} or more")


def _is_list_of_text(value):
    return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)


def configured_rules():
    """The rules of ALERT_RULES; ``RuleError`` for the first one that cannot be read (the
    system check reports every one)."""
    cooldown = flowscope_settings.ALERT_COOLDOWN_SECONDS
    rules = [read_rule(entry, cooldown) for entry in flowscope_settings.ALERT_RULES]
    names = [rule.name for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise RuleError(f"rule names must be unique: {', '.join(duplicates)}")
    return rules
