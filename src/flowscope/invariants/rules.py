"""Invariants as configured in ``FLOWSCOPE["INVARIANTS"]``, read and checked.

``{workflow type: [rule, ...]}``; a rule is a dict with a ``"name"`` (unique within its
type), a ``"kind"`` and the kind's fields; ``"when"`` limits it to workflows that
``completed`` or ``failed`` (default: both). Like alert rules they live in the settings:
reviewed and deployed with the code that they hold to account.
"""

import fnmatch
import re
from dataclasses import dataclass, field

from flowscope.conf import flowscope_settings
from flowscope.invariants.patterns import PatternError, StepPattern

STATUSES = ("completed", "failed")
COMPARISONS = ("equals", "at_most", "at_least")
REQUIRED = object()
# The fields a kind reads besides "name", "kind" and "when" (REQUIRED: no default).
FIELDS = {
    "count": {"steps": REQUIRED},
    "value": {"value": REQUIRED},
    "no_server_errors": {},
    "queries_per_request": {"at_most": REQUIRED},
    "cache_write_only_on_miss": {"keys": "*"},
}
COMPARED = ("count", "value")  # kinds that take one of COMPARISONS
KINDS = tuple(FIELDS)


class RuleError(ValueError):
    """A rule that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Count:
    """How many steps of the workflow match ``pattern``."""

    pattern: StepPattern

    def describe(self):
        return f"steps matching {self.pattern.describe()}"


@dataclass(frozen=True)
class Metadata:
    """The value of ``key`` in the metadata of the last step matching ``pattern``."""

    key: str
    pattern: StepPattern

    def describe(self):
        return f"{self.key} of {self.pattern.describe()}"


@dataclass(frozen=True)
class Rule:
    workflow_type: str
    name: str
    kind: str
    when: tuple = STATUSES
    options: dict = field(default_factory=dict)
    # For COMPARED kinds: (comparison, operand), e.g. ("equals", 1).
    expected: tuple = ()

    def applies_to(self, status):
        return status in self.when


def read_rule(workflow_type, entry):
    """A ``Rule`` from one entry of a workflow type's list; ``RuleError`` saying what is
    wrong."""
    if not isinstance(entry, dict):
        raise RuleError(f"{workflow_type}: {entry!r} is not a dict")
    name, kind = entry.get("name"), entry.get("kind")
    if not isinstance(name, str) or not name or len(name) > 100:
        raise RuleError(f'{workflow_type}: {entry!r} needs a "name" (text, up to 100 characters)')
    where = f"{workflow_type}: rule {name!r}"
    if kind not in KINDS:
        raise RuleError(f'{where}: "kind" must be one of {", ".join(KINDS)}')
    known = set(FIELDS[kind]) | {"name", "kind", "when"}
    if kind in COMPARED:
        known |= set(COMPARISONS)
    if unknown := sorted(set(entry) - known):
        raise RuleError(f"{where}: {', '.join(unknown)} not read by kind {kind!r}")
    try:
        options = _options(kind, entry, where)
        expected = _expected(entry, where) if kind in COMPARED else ()
    except PatternError as exc:
        raise RuleError(f"{where}: {exc}") from None
    return Rule(workflow_type, name, kind, _when(entry.get("when"), where), options, expected)


def _options(kind, entry, where):
    options = {}
    for key, default in FIELDS[kind].items():
        value = entry.get(key, default)
        if value is REQUIRED:
            raise RuleError(f"{where}: kind {kind!r} needs {key!r}")
        options[key] = value
    if kind == "count":
        options["steps"] = StepPattern.read(options["steps"])
    elif kind == "value":
        options["value"] = _operand(options["value"], where, "value")
    elif kind == "queries_per_request":
        _check_number(options["at_most"], where, "at_most")
    elif kind == "cache_write_only_on_miss":
        options["keys"] = _key_glob(options["keys"], where)
    return options


def _key_glob(value, where):
    if not isinstance(value, str) or not value:
        raise RuleError(f'{where}: "keys" must be a glob pattern such as "catalog:*"')
    return re.compile(fnmatch.translate(value), re.DOTALL)


def _expected(entry, where):
    given = [name for name in COMPARISONS if name in entry]
    if len(given) != 1:
        raise RuleError(f"{where}: give exactly one of {', '.join(COMPARISONS)}")
    return given[0], _operand(entry[given[0]], where, given[0])


def _operand(value, where, key):
    """A number, ``{"count": pattern}`` or ``{"metadata": key, "of": pattern}``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, dict) and set(value) == {"count"}:
        return Count(StepPattern.read(value["count"]))
    is_metadata = isinstance(value, dict) and set(value) == {"metadata", "of"}
    if is_metadata and isinstance(value["metadata"], str) and value["metadata"]:
        return Metadata(value["metadata"], StepPattern.read(value["of"]))
    raise RuleError(
        f'{where}: {key!r} must be a number, {{"count": pattern}} or '
        f'{{"metadata": "key", "of": pattern}}, not {value!r}'
    )


def _when(value, where):
    if value is None:
        return STATUSES
    listed = (value,) if isinstance(value, str) else value
    if not isinstance(listed, list | tuple) or not listed or not set(listed) <= set(STATUSES):
        raise RuleError(f'{where}: "when" must be "completed", "failed" or both in a list')
    return tuple(listed)


def _check_number(value, where, key):
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:  # nan
        raise RuleError(f"{where}: {key!r} must be a number, 0 or more")


def configured_rules():
    """``{workflow type: [Rule, ...]}`` of INVARIANTS; ``RuleError`` for the first rule that
    cannot be read."""
    configured = flowscope_settings.INVARIANTS
    if not isinstance(configured, dict):
        raise RuleError(f"{configured!r} is not a dict of workflow types")
    rules = {}
    for workflow_type, entries in configured.items():
        if not isinstance(entries, list | tuple):
            raise RuleError(f"{workflow_type}: {entries!r} is not a list of rules")
        rules[workflow_type] = [read_rule(workflow_type, entry) for entry in entries]
        names = [rule.name for rule in rules[workflow_type]]
        if duplicates := sorted({name for name in names if names.count(name) > 1}):
            raise RuleError(f"{workflow_type}: rule names must be unique: {', '.join(duplicates)}")
    return rules


class Rulebook:
    """The configured rules, read again only when the settings change; none (logged once)
    while one of them cannot be read: the system check names it."""

    def __init__(self, on_error):
        self.on_error = on_error
        self._read_from, self._rules = None, {}

    def __call__(self):
        configured = flowscope_settings.INVARIANTS
        if self._read_from != id(configured):
            self._read_from = id(configured)
            try:
                self._rules = configured_rules()
            except RuleError as exc:
                self._rules = {}
                self.on_error(exc)
        return self._rules
