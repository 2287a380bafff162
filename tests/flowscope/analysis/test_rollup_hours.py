from datetime import timedelta

import pytest
from django.db.models import Max, Sum
from django.utils import timezone

from flowscope.analysis import rollup_hours
from flowscope.models import PerformanceSnapshot

pytestmark = pytest.mark.django_db

# An hour start a day ago: its hours are closed and kept (older than KEEP would not be).
T0 = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=1)

SUMS = {"requests": Sum("count")}
MAXIMA = {"worst": Max("p95")}


def rollup(at, count, p95, component="GET /a/"):
    return PerformanceSnapshot.objects.create(
        metric="response_time_ms",
        layer="api",
        component=component,
        source="web-1:100",
        window_start=at,
        count=count,
        value=1.0,
        p95=p95,
    )


def totals(since, until):
    rows = PerformanceSnapshot.objects.filter(metric="response_time_ms")
    return rollup_hours.totals("test", rows, ("component",), SUMS, MAXIMA, since, until)


def test_partial_and_whole_hours_add_up():
    rollup(T0 - timedelta(minutes=50), 1, 10.0)  # before the window
    rollup(T0 + timedelta(minutes=40), 2, 20.0)  # the partial first hour
    rollup(T0 + timedelta(hours=1, minutes=5), 4, 90.0)  # whole hours
    rollup(T0 + timedelta(hours=2, minutes=59), 8, 30.0, component="GET /b/")
    rollup(T0 + timedelta(hours=3, minutes=10), 16, 40.0)  # the partial last hour
    rollup(T0 + timedelta(hours=3, minutes=30), 32, 50.0)  # after the window
    found = totals(T0 + timedelta(minutes=30), T0 + timedelta(hours=3, minutes=20))
    assert found == {
        ("GET /a/",): {"requests": 22, "worst": 90.0},
        ("GET /b/",): {"requests": 8, "worst": 30.0},
    }


def test_a_closed_hour_is_read_once():
    whole = rollup(T0 + timedelta(hours=1, minutes=5), 4, 90.0)
    edge = rollup(T0 + timedelta(minutes=40), 2, 20.0)
    window = (T0 + timedelta(minutes=30), T0 + timedelta(hours=2, minutes=30))
    assert totals(*window)[("GET /a/",)]["requests"] == 6
    whole.delete()
    edge.delete()
    assert totals(*window)[("GET /a/",)]["requests"] == 4  # the kept hour, not the edge
    rollup_hours.forget()
    assert totals(*window) == {}


def test_the_last_minutes_are_read_every_time():
    now = timezone.now()
    recent = rollup(now - timedelta(minutes=2), 3, 10.0)
    assert totals(now - timedelta(hours=6), now)[("GET /a/",)]["requests"] == 3
    recent.delete()
    assert totals(now - timedelta(hours=6), now) == {}


def test_a_window_without_whole_hours_is_read_at_once():
    rollup(T0 + timedelta(minutes=10), 5, 10.0)
    assert totals(T0 + timedelta(minutes=5), T0 + timedelta(minutes=50)) == {
        ("GET /a/",): {"requests": 5, "worst": 10.0}
    }
