"""Alert settings that cannot work are named by ``manage.py check``; a server started
without checks sends nothing and says why once."""

import pytest
from django.core import checks

from flowscope.alerts.evaluation import Evaluator
from flowscope.models import AlertEvent
from tests.flowscope.alerts.conftest import record
from tests.flowscope.factories import make_error, make_trace


def alert_errors():
    return [m for m in checks.run_checks() if m.id in ("flowscope.E170", "flowscope.E171")]


def test_the_default_settings_pass_the_checks():
    assert alert_errors() == []


@pytest.mark.parametrize(
    ("rules", "said"),
    [
        ([{"name": "slow", "kind": "p99", "above": 1}], "rule 'slow': \"kind\" must be one of"),
        ([{"name": "slow", "kind": "p95"}], "rule 'slow': kind 'p95' needs 'above'"),
        ([{"name": "slow", "kind": "p95", "above": "1s"}], "'above' must be a number"),
        ([{"name": "slow", "kind": "p95", "above": 1, "window": 5}], "window not read by"),
        ([{"name": "a", "kind": "new_error_group"}] * 2, "rule names must be unique: a"),
        ([{"name": "m", "kind": "p95", "metric": "cpu", "above": 1}], '"metric" must be one of'),
    ],
)
def test_a_rule_that_cannot_be_read_is_a_check_error_naming_it(alert_settings, rules, said):
    alert_settings(ALERT_RULES=rules)
    [error] = alert_errors()
    assert error.id == "flowscope.E170"
    assert said in error.msg


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALERT_EMAILS", "ops@example.com"),
        ("ALERT_EMAILS", ["ops"]),
        ("ALERT_WEBHOOKS", ["hooks.example.com/x"]),
        ("ALERT_WEBHOOK_TIMEOUT", 0),
        ("ALERT_DELIVERY_RETRIES", -1),
    ],
)
def test_a_destination_that_cannot_work_is_a_check_error(alert_settings, name, value):
    alert_settings(**{name: value})
    [error] = alert_errors()
    assert error.id == "flowscope.E171"
    assert error.msg.startswith(f"FLOWSCOPE[{name!r}]")


@pytest.mark.django_db(transaction=True)
def test_a_server_with_a_bad_rule_sends_nothing_and_logs_why_once(
    committed, alert_settings, caplog
):
    alert_settings(ALERT_RULES=[{"name": "new", "kind": "new_error_group"}, {"kind": "p95"}])
    evaluator = Evaluator()
    for n in range(2):
        record([make_trace(f"wf-{n}", errors=[make_error(f"boom {n}", error_type=f"E{n}")])])
        for batch in committed:
            evaluator(batch)
    assert not AlertEvent.objects.exists()
    assert caplog.text.count("flowscope alerts are off: ALERT_RULES:") == 1
