"""What a workflow's stored steps say of each rule: a ``Violation`` for every rule they
break. Pure: the steps in, the violations out (``checking`` reads and writes the store).

A rule whose operand names a step or a metadata key the workflow does not have does not
apply to it (a checkout declined before it placed an order has no order total to compare).
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flowscope.invariants.rules import Count, Metadata

ABSENT = object()
SERVER_ERROR = 500
CACHE_WRITES = ("set", "add")
WORDS = {"equals": "equal to", "at_most": "at most", "at_least": "at least"}


@dataclass
class Violation:
    rule: object
    observed: object
    expected: str  # the comparison and its value, as the message says it
    detail: str = ""
    step: object = None  # the step that shows it, where one does

    @property
    def message(self):
        rule = self.rule
        where = f" ({self.detail})" if self.detail else ""
        return (
            f"{rule.workflow_type} invariant {rule.name!r} broken: observed {self.observed}, "
            f"expected {self.expected}{where}"
        )


def evaluate(rules, status, steps):
    """The violations of ``rules`` that apply to a workflow ended with ``status``, whose
    ``steps`` are in the order they started."""
    found = []
    for rule in rules:
        if rule.applies_to(status):
            violation = CHECKS[rule.kind](rule, steps)
            if violation is not None:
                found.append(violation)
    return found


def _compared(rule, steps):
    subject = rule.options["value"] if rule.kind == "value" else Count(rule.options["steps"])
    observed = _value(subject, steps)
    comparison, operand = rule.expected
    expected = _value(operand, steps)
    if observed is ABSENT or expected is ABSENT:
        return None
    holds = _holds(comparison, observed, expected)
    if holds is None or holds:
        return None
    shown = f"{WORDS[comparison]} {expected}"
    if not isinstance(operand, int | float):
        shown += f" ({operand.describe()})"
    return Violation(rule, observed, shown)


def _value(operand, steps):
    if isinstance(operand, Count):
        return len(operand.pattern.select(steps))
    if isinstance(operand, Metadata):
        for step in reversed(operand.pattern.select(steps)):
            if operand.key in step.metadata:
                return step.metadata[operand.key]
        return ABSENT
    return operand


def _holds(comparison, observed, expected):
    """Whether the relation holds; None when the values cannot be compared that way."""
    left, right = _number(observed), _number(expected)
    if left is None or right is None:
        return observed == expected if comparison == "equals" else None
    if comparison == "equals":
        return left == right
    return left <= right if comparison == "at_most" else left >= right


def _number(value):
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    # "NaN" is read as a Decimal that no order holds for (``<=`` raises): no number.
    return number if number.is_finite() else None


def _no_server_errors(rule, steps):
    failed = [s for s in steps if s.layer == "api" and _status(s) >= SERVER_ERROR]
    if not failed:
        return None
    first = failed[0]
    detail = f"{first.name} answered {_status(first)}"
    return Violation(rule, _plural(len(failed), "5xx answer"), "none", detail, first)


def _plural(count, one, many=None):
    return f"{count} {one if count == 1 else many or one + 's'}"


def _status(step):
    return _whole_number(step, "status_code")


def _queries(step):
    return _whole_number(step, "query_count")


def _whole_number(step, key):
    value = step.metadata.get(key)
    return value if isinstance(value, int) else 0


def _queries_per_request(rule, steps):
    limit = rule.options["at_most"]
    requests = [s for s in steps if s.layer == "api" and _queries(s) > limit]
    if not requests:
        return None
    worst = max(requests, key=_queries)
    detail = f"{worst.name}; {len(requests)} of the workflow's requests over"
    return Violation(rule, f"{_queries(worst)} queries", f"at most {limit}", detail, worst)


def _cache_write_only_on_miss(rule, steps):
    """A write (set, add) of a key that the same request read and found: the value was
    there, so the write is wasted work or a read-through that ignores its own hit."""
    keys, requests = rule.options["keys"], _requests(steps)
    last_read = {}  # (request, key) -> whether that read hit
    written_over = []
    for step in steps:
        key, operation = step.metadata.get("key"), step.metadata.get("operation")
        if step.layer != "cache" or not isinstance(key, str) or not keys.match(key):
            continue
        request = requests.get(step.span_id)
        if operation == "get" and "hit" in step.metadata:
            last_read[(request, key)] = bool(step.metadata["hit"])
        elif operation in CACHE_WRITES and last_read.get((request, key)):
            written_over.append(step)
    if not written_over:
        return None
    first = written_over[0]
    detail = f"key {first.metadata['key']!r}"
    observed = _plural(len(written_over), "write after a hit", "writes after a hit")
    return Violation(rule, observed, "none", detail, first)


def _requests(steps):
    """``{span id: span id of the request or task it ran in}``: its nearest API or task
    ancestor (a browser step may be the parent of a request)."""
    by_id = {step.span_id: step for step in steps}
    found = {}
    for step in steps:
        current, hops = step, 0
        while current.layer not in ("api", "task") and current.parent_span_id in by_id:
            current, hops = by_id[current.parent_span_id], hops + 1
            if hops > len(by_id):  # a loop of parents: data from outside, not to trust
                break
        found[step.span_id] = current.span_id
    return found


CHECKS = {
    "count": _compared,
    "value": _compared,
    "no_server_errors": _no_server_errors,
    "queries_per_request": _queries_per_request,
    "cache_write_only_on_miss": _cache_write_only_on_miss,
}
