"""Which steps a rule speaks of: a pattern over a stored step's layer, name, SQL, host,
status and metadata. Every key given must match; text is matched as a glob (``*``, ``?``),
ignoring case. SQL is matched without identifier quotes, so that one pattern
(``"INSERT INTO shop_order *"``) reads the same statement on every database."""

import fnmatch
import re
from dataclasses import dataclass

from flowscope.records.trace import LAYERS

KEYS = ("layer", "name", "sql", "host", "status", "metadata")
_QUOTES = re.compile(r"[\"`]")


class PatternError(ValueError):
    """A pattern that cannot be read."""


def _glob(pattern):
    return re.compile(fnmatch.translate(pattern.lower()), re.DOTALL)


@dataclass(frozen=True)
class StepPattern:
    given: tuple  # ((key, value), ...) as configured: what ``describe`` shows
    tests: tuple  # ((key, compiled glob or value), ...)

    @classmethod
    def read(cls, entry):
        if not isinstance(entry, dict) or not entry:
            raise PatternError(f"a step pattern is a dict of {', '.join(KEYS)}, not {entry!r}")
        if unknown := sorted(set(entry) - set(KEYS)):
            raise PatternError(f"{', '.join(unknown)} not a step pattern key ({', '.join(KEYS)})")
        if "layer" in entry and entry["layer"] not in LAYERS:
            raise PatternError(f'"layer" must be one of {", ".join(LAYERS)}')
        tests = []
        for key, value in entry.items():
            if key == "metadata":
                tests.append((key, _metadata_tests(value)))
            elif isinstance(value, str) and value:
                tests.append((key, _glob(value)))
            else:
                raise PatternError(f"{key!r} must be text, not {value!r}")
        return cls(tuple(entry.items()), tuple(tests))

    def describe(self):
        return "{" + ", ".join(f"{key}: {value!r}" for key, value in self.given) + "}"

    def matches(self, step):
        return all(_TESTS[key](step, test) for key, test in self.tests)

    def select(self, steps):
        return [step for step in steps if self.matches(step)]


def _metadata_tests(value):
    if not isinstance(value, dict) or not value:
        raise PatternError(f'"metadata" must be a dict of keys and values, not {value!r}')
    return tuple(
        (key, _glob(item) if isinstance(item, str) else item) for key, item in value.items()
    )


def _text_matches(glob, text):
    return isinstance(text, str) and glob.match(text.lower()) is not None


def _metadata_matches(step, tests):
    for key, expected in tests:
        value = step.metadata.get(key)
        if isinstance(expected, re.Pattern):
            if not _text_matches(expected, value):
                return False
        elif value != expected:
            return False
    return True


_TESTS = {
    "layer": lambda step, glob: _text_matches(glob, step.layer),
    "name": lambda step, glob: _text_matches(glob, step.name),
    "sql": lambda step, glob: (
        step.layer == "database"
        and _text_matches(glob, _QUOTES.sub("", step.metadata.get("sql") or step.name))
    ),
    "host": lambda step, glob: _text_matches(glob, step.metadata.get("host")),
    "status": lambda step, glob: _text_matches(glob, step.status),
    "metadata": _metadata_matches,
}
