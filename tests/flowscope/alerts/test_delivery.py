"""Alerts reach people: by e-mail through Django's mail backend and by webhook, from a
thread of their own; a storm in two processes sends one message; a failing or hanging
webhook is retried, counted and logged, and never holds the writer."""

import json
import time

import pytest
from django.core import mail

from flowscope.alerts.courier import Courier, courier
from flowscope.alerts.evaluation import Evaluator
from flowscope.models import AlertEvent
from tests.flowscope.alerts.conftest import record
from tests.flowscope.factories import make_error, make_trace

pytestmark = pytest.mark.django_db(transaction=True)

ROUTE = "GET /api/v1/products/"
SLOW = [{"name": "slow", "kind": "p95", "above": 1000, "min_count": 1}]
DEADLINE = 60


def slow_requests(prefix, count=3):
    return [make_trace(f"{prefix}-{n}", name=ROUTE, duration_ms=1840.0) for n in range(count)]


def evaluate(batches, evaluator):
    for batch in batches:
        evaluator(batch)
    batches.clear()


def wait_for(condition):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, "the alert was not delivered in time"
        time.sleep(0.05)


def test_an_alert_is_mailed_and_posted_as_slack_json(committed, alert_settings, webhook):
    hooks = [webhook.url, f"{webhook.url}-2"]  # two hooks on one host, as Slack's are
    alert_settings(ALERT_RULES=SLOW, ALERT_EMAILS=["ops@example.com"], ALERT_WEBHOOKS=hooks)
    record(slow_requests("wf"))
    evaluate(committed, Evaluator())
    assert courier.flush(DEADLINE)

    [message] = mail.outbox
    expected = f"p95 1,840 ms over 1,000 ms on {ROUTE} (1 min, 3 requests)"
    assert message.subject == f"[flowscope] {expected}"
    assert message.to == ["ops@example.com"]
    assert "Rule: slow (p95)" in message.body
    first, second = webhook.bodies
    assert first == second
    payload = json.loads(first)
    assert payload["text"] == f"[flowscope] {expected}"
    assert payload["alert"]["value"] == 1840.0
    assert payload["alert"]["unit"] == "ms"
    alert = AlertEvent.objects.get()
    assert [(d["destination"], d["target"], d["status"]) for d in alert.deliveries] == [
        ("email", "ops@example.com", "sent"),
        ("webhook", "127.0.0.1", "sent"),  # the host only: the path is the hook's secret
        ("webhook", "127.0.0.1", "sent"),
    ]


def test_a_new_error_is_mailed_on_one_line(committed, alert_settings):
    alert_settings(
        ALERT_RULES=[{"name": "new", "kind": "new_error_group"}], ALERT_EMAILS=["ops@example.com"]
    )
    declined = make_error("card declined\r\n  by the bank", error_type="PaymentDeclined")
    record([make_trace("wf", errors=[declined])])
    evaluate(committed, Evaluator())
    assert courier.flush(DEADLINE)
    [message] = mail.outbox
    expected = "New error: PaymentDeclined: card declined by the bank (api, 1 occurrence)"
    assert message.subject == f"[flowscope] {expected}"


def test_a_storm_in_two_processes_sends_one_message_and_counts_the_repeats(
    committed, alert_settings, webhook
):
    alert_settings(ALERT_RULES=SLOW, ALERT_EMAILS=["ops@example.com"], ALERT_WEBHOOKS=[webhook.url])
    first, second = Evaluator(), Evaluator()  # one a process, sharing the store
    for round_ in range(3):
        record(slow_requests(f"a{round_}"), source="host-a:1")
        evaluate(committed, first)
        record(slow_requests(f"b{round_}"), source="host-b:1")
        evaluate(committed, second)
    assert courier.flush(DEADLINE)

    alert = AlertEvent.objects.get()
    assert alert.repeats == 5
    assert alert.last_fired_at >= alert.first_fired_at
    assert len(mail.outbox) == 1
    assert len(webhook.bodies) == 1


def test_a_failing_webhook_is_retried_counted_and_logged_and_never_holds_the_writer(
    committed, alert_settings, webhook, caplog
):
    alert_settings(ALERT_RULES=SLOW, ALERT_WEBHOOKS=[webhook.url], ALERT_DELIVERY_RETRIES=1)
    failed_before = courier.snapshot()["failed"]
    webhook.status = 500
    webhook.release.clear()  # the receiver holds every request until released

    evaluator = Evaluator()
    record(slow_requests("wf"))
    evaluate(committed, evaluator)
    wait_for(lambda: webhook.bodies)
    # The webhook holds the request; meanwhile batches are recorded and evaluated.
    assert AlertEvent.objects.get().deliveries[0]["status"] == "pending"
    record(slow_requests("later"))
    evaluate(committed, evaluator)
    assert AlertEvent.objects.get().repeats == 1

    webhook.release.set()
    assert courier.flush(DEADLINE)
    [delivery] = AlertEvent.objects.get().deliveries
    assert (delivery["status"], delivery["attempts"]) == ("failed", 2)
    assert "500" in delivery["error"]
    assert len(webhook.bodies) == 2
    assert courier.snapshot()["failed"] == failed_before + 1
    assert "could not send an alert by webhook to 127.0.0.1 after 2 attempts" in caplog.text


def test_alerts_beyond_the_queue_are_kept_in_the_history_and_counted_as_dropped(
    committed, alert_settings, webhook, caplog
):
    new_errors = [{"name": "new", "kind": "new_error_group"}]
    alert_settings(ALERT_RULES=new_errors, ALERT_WEBHOOKS=[webhook.url], ALERT_QUEUE_SIZE=1)
    own = Courier()
    evaluator = Evaluator(courier=own)
    webhook.release.clear()  # the first alert holds the courier's thread
    for n in range(3):
        record([make_trace(f"wf-{n}", errors=[make_error(error_type=f"Error{n}")])])
        evaluate(committed, evaluator)
        if n == 0:
            wait_for(lambda: webhook.bodies)
    # The first is being sent, the second waits in the queue, the third found it full.
    assert own.snapshot()["dropped"] == 1
    statuses = [a.deliveries[0]["status"] for a in AlertEvent.objects.order_by("id")]
    assert statuses == ["pending", "pending", "dropped"]
    assert "dropped an alert (ALERT_QUEUE_SIZE full)" in caplog.text

    webhook.release.set()
    assert own.flush(DEADLINE)
    statuses = [a.deliveries[0]["status"] for a in AlertEvent.objects.order_by("id")]
    assert statuses == ["sent", "sent", "dropped"]
