"""The funnel over journeys built by hand, written as the writer writes them: exact counts,
conversions, and what the journeys that stopped at each step met."""

from datetime import timedelta

import pytest

from flowscope.analysis.funnel import funnel
from flowscope.models import WorkflowSession
from flowscope.recording import writer
from tests.flowscope.factories import T0, make_span, make_trace
from tests.flowscope.journeys import Journeys

pytestmark = pytest.mark.django_db

STEPS = ["login", "browse", "cart", "checkout"]
SINCE, UNTIL = T0 - timedelta(hours=1), T0 + timedelta(hours=1)


@pytest.fixture
def journeys():
    return Journeys(T0)


def steps_of(result):
    return {step["workflow_type"]: step for step in result["steps"]}


def test_each_step_counts_the_journeys_that_completed_it_and_every_step_before(journeys):
    # Through the whole funnel, browsing before signing in.
    journeys.workflow("j-all", "browse")
    journeys.workflow("j-all", "login")
    journeys.workflow("j-all", "cart")
    journeys.workflow("j-all", "checkout")
    # A declined checkout, then the retry that paid: reached.
    for step in STEPS[:3]:
        journeys.workflow("j-retry", step)
    journeys.workflow("j-retry", "checkout", "recovered", error_type="HTTP 402", message="402")
    # A declined checkout nobody retried: a drop at the checkout, with its error.
    for step in STEPS[:3]:
        journeys.workflow("j-declined", step)
    journeys.workflow("j-declined", "checkout", "failed", error_type="HTTP 402", message="402")
    # A checkout still going on: not reached yet.
    for step in STEPS[:3]:
        journeys.workflow("j-paying", step)
    journeys.workflow("j-paying", "checkout", "open")
    # Browsed and left.
    journeys.workflow("j-left", "login")
    journeys.workflow("j-left", "browse")
    # A wrong password, never signed in: a drop at the login.
    journeys.workflow("j-locked", "login", "failed", error_type="HTTP 401", message="401")
    # Checked out without a cart update of its own in the window: stops at the cart.
    journeys.workflow("j-nocart", "login")
    journeys.workflow("j-nocart", "browse")
    journeys.workflow("j-nocart", "checkout")
    # Not in the funnel: no login at all.
    journeys.workflow("j-anon", "browse")
    journeys.workflow("j-anon", "cart")

    result = funnel(SINCE, UNTIL, STEPS)
    assert result["started"] == 7
    steps = steps_of(result)
    assert [(s["reached"], s["stopped"]) for s in result["steps"]] == [
        (6, 1),  # login: all but j-locked
        (6, 0),  # browse
        (4, 2),  # cart: j-left and j-nocart stopped
        (2, 2),  # checkout: j-all and j-retry reached; j-declined and j-paying did not
    ]
    assert steps["login"]["conversion"] == pytest.approx(6 / 7)
    assert steps["browse"]["conversion"] == 1.0
    assert steps["cart"]["conversion"] == pytest.approx(4 / 6)
    assert steps["checkout"]["conversion"] == pytest.approx(2 / 4)
    assert steps["checkout"]["of_started"] == pytest.approx(2 / 7)

    [declined] = steps["checkout"]["errors"]
    assert (declined["error_type"], declined["count"], declined["journeys"]) == ("HTTP 402", 1, 1)
    [locked] = steps["login"]["errors"]
    assert (locked["error_type"], locked["message"], locked["count"]) == ("HTTP 401", "401", 1)
    assert steps["browse"]["errors"] == steps["browse"]["slowest_steps"] == []
    assert steps["cart"]["errors"] == []


def test_the_drops_list_their_error_groups_by_occurrences_and_slowest_steps_by_p95(journeys):
    for n in range(3):
        journeys.workflow(f"j-slow-{n}", "login")
        slow = [make_span("external", "payment_gateway.charge", duration_ms=900.0 + n)]
        quick = [make_span("database", "SELECT 1", duration_ms=2.0)]
        journeys.workflow(f"j-slow-{n}", "browse", "failed", spans=slow + quick,
                          error_type="KeyError", message="JP")  # fmt: skip
    journeys.workflow("j-other", "login")
    journeys.workflow("j-other", "browse", "failed", error_type="TimeoutError", message="t")
    journeys.workflow("j-through", "login")
    fast = [make_span("external", "payment_gateway.charge", duration_ms=10.0)]
    journeys.workflow("j-through", "browse", spans=fast)

    steps = steps_of(funnel(SINCE, UNTIL, STEPS))
    browse = steps["browse"]
    assert (browse["reached"], browse["stopped"]) == (1, 4)
    assert [(e["error_type"], e["count"], e["journeys"]) for e in browse["errors"]] == [
        ("KeyError", 3, 3),
        ("TimeoutError", 1, 1),
    ]
    slowest = browse["slowest_steps"]
    # The journeys that went on are not among those that stopped: 902 ms, not 10.
    assert (slowest[0]["layer"], slowest[0]["name"]) == ("external", "payment_gateway.charge")
    assert (slowest[0]["count"], slowest[0]["p95_ms"]) == (3, 902.0)
    assert ("database", "SELECT 1", 2.0) in [(s["layer"], s["name"], s["p95_ms"]) for s in slowest]
    # Every link goes to one occurrence of its group.
    assert all(e["latest_id"] for e in browse["errors"])


def test_only_real_traffic_of_the_window_counts(journeys):
    journeys.workflow("j-before", "login", at=SINCE - timedelta(minutes=5))
    journeys.workflow("j-in", "login")
    journeys.workflow("j-replay", "login")
    WorkflowSession.objects.filter(journey_id="j-replay").update(metadata={"synthetic": "replay"})
    journeys.workflow("j-request", "login")
    WorkflowSession.objects.filter(journey_id="j-request").update(kind="request")
    nobody = make_trace("no-journey", at=T0, workflow_type="login", complete=True)
    writer.write([nobody])

    result = funnel(SINCE, UNTIL, STEPS)
    assert result["started"] == 1
    assert result["steps"][0]["reached"] == 1


def test_no_journey_gives_zeros_and_no_conversion():
    result = funnel(SINCE, UNTIL, STEPS)
    assert result["started"] == 0
    assert [(s["reached"], s["stopped"], s["conversion"]) for s in result["steps"]] == [
        (0, 0, None)
    ] * 4
    assert funnel(SINCE, UNTIL, []) == {"started": 0, "steps": []}
