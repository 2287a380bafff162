"""Reading INVARIANTS: each mistake is named, with its workflow type and rule."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from flowscope.invariants.rules import RuleError, configured_rules, read_rule


def read(entry):
    return read_rule("checkout", entry)


def test_a_count_rule_reads_its_pattern_and_comparison():
    rule = read(
        {
            "name": "one order row",
            "kind": "count",
            "steps": {"sql": "INSERT INTO shop_order *"},
            "equals": 1,
            "when": "completed",
        }
    )
    assert (rule.kind, rule.when, rule.expected) == ("count", ("completed",), ("equals", 1))
    assert rule.applies_to("completed") and not rule.applies_to("failed")


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"kind": "count"}, 'needs a "name"'),
        ({"name": "x", "kind": "sometimes"}, '"kind" must be one of count, value'),
        ({"name": "x", "kind": "count", "equals": 1}, "kind 'count' needs 'steps'"),
        ({"name": "x", "kind": "count", "steps": {"layer": "db"}, "equals": 1}, '"layer"'),
        ({"name": "x", "kind": "count", "steps": {"table": "a"}, "equals": 1}, "table not a"),
        ({"name": "x", "kind": "count", "steps": {"name": "a"}}, "exactly one of equals"),
        (
            {"name": "x", "kind": "count", "steps": {"name": "a"}, "equals": 1, "at_most": 2},
            "exactly one of equals",
        ),
        ({"name": "x", "kind": "count", "steps": {"name": "a"}, "equals": "1"}, "must be a number"),
        (
            {"name": "x", "kind": "value", "value": {"metadata": "total"}, "equals": 1},
            "'value' must be a number",
        ),
        ({"name": "x", "kind": "no_server_errors", "at_most": 1}, "at_most not read by kind"),
        ({"name": "x", "kind": "queries_per_request", "at_most": -1}, "'at_most' must be"),
        ({"name": "x", "kind": "queries_per_request", "at_most": float("nan")}, "'at_most' must"),
        ({"name": "x", "kind": "no_server_errors", "when": "sometimes"}, '"when" must be'),
        ({"name": "x", "kind": "cache_write_only_on_miss", "keys": ""}, '"keys" must be'),
    ],
)
def test_a_rule_that_cannot_be_read_says_why(entry, says):
    with pytest.raises(RuleError, match="checkout") as caught:
        read(entry)
    assert says in str(caught.value)


def test_rule_names_are_unique_within_a_type(settings):
    settings.FLOWSCOPE = {
        "INVARIANTS": {
            "login": [{"name": "no 5xx", "kind": "no_server_errors"}],
            "checkout": [{"name": "no 5xx", "kind": "no_server_errors"}] * 2,
        }
    }
    with pytest.raises(RuleError, match="checkout: rule names must be unique: no 5xx"):
        configured_rules()


def test_the_system_check_names_the_broken_rule(settings):
    settings.FLOWSCOPE = {"INVARIANTS": {"checkout": [{"name": "x", "kind": "count"}]}}
    with pytest.raises(SystemCheckError, match=r"flowscope.E180.*checkout: rule 'x'"):
        call_command("check")


def test_the_example_projects_rules_are_read(settings):
    rules = configured_rules()
    assert set(rules) == {"login", "product_fetch", "cart_update", "checkout"}
    assert "one stock update per line" in [rule.name for rule in rules["checkout"]]
