"""Sums and maxima of rollup rows over a window, read hour by hour and kept per process.

Over a week the per-minute rollups hold as many rows as a busy day's steps (10,080 minutes
times every route, query and layer), too many to aggregate on every dashboard refresh. An
hour that ended ``SETTLE`` ago no longer changes (a window is written 15 s after it ends),
so its aggregate is read once, in one query for every hour missing, and kept in this
process for as long as a window can reach it (``KEEP``); only the partial hours at the two
edges of a window are read each time, in one query. A rollup row written more than
``SETTLE`` after its hour ended (a writer minutes behind) is missed by the hours this
process already kept.

Other rows stamped with a time work the same way (``field``; ``settle``: how long after an
hour its rows stop changing): the chatty-workflow rule sums workflows per type by hour.
"""

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Q
from django.db.models.functions import TruncHour
from django.utils import timezone

HOUR = timedelta(hours=1)
SETTLE = timedelta(minutes=5)
KEEP = timedelta(days=8)  # longer than the longest dashboard window (7 days)

_hours = {}  # (name, hour start) -> {group: {alias: value}}
_spans = {}  # (name, first hour, end of last hour) -> the hours merged
_lock = threading.Lock()


def totals(
    name, queryset, group_by, sums, maxima, since, until, field="window_start", settle=SETTLE
):
    """``{group: {alias: value}}``: ``sums`` and ``maxima`` (aggregate expressions by
    alias) of ``queryset``'s rows whose ``field`` is in ``[since, until)``, per value of
    the ``group_by`` fields (a group is the tuple of them). ``name`` stands for the
    queryset and the aggregates: the same name must always mean the same query."""
    now = timezone.now()
    first = _next_hour(since)
    last = min(_hour_of(until), _hour_of(now - settle))
    query = _Query(queryset, group_by, {**sums, **maxima}, field)
    if first >= last:
        return merge([query.run([(since, until)])], sums, maxima)
    whole = _whole_hours(name, first, last, query, sums, maxima)
    edges = query.run([(since, first), (last, until)])
    _forget_before(now - KEEP)
    return merge([whole, edges], sums, maxima)


@dataclass(frozen=True)
class RollupWindow:
    """The rollups of ``[since, until)``, for readers that aggregate several of them."""

    since: datetime
    until: datetime

    def totals(self, name, queryset, group_by, sums, maxima):
        return totals(name, queryset, group_by, sums, maxima, self.since, self.until)


def forget():
    """Drop every kept hour (the store was changed behind the rollups' back: tests)."""
    with _lock:
        _hours.clear()
        _spans.clear()


def merge(parts, sums, maxima):
    merged = {}
    for part in parts:
        for group, values in part.items():
            into = merged.setdefault(group, dict.fromkeys(values))
            for alias in sums:
                into[alias] = _add(into[alias], values[alias])
            for alias in maxima:
                into[alias] = _larger(into[alias], values[alias])
    return merged


def _whole_hours(name, first, last, query, sums, maxima):
    """The hours ``[first, last)`` merged; a dashboard refreshing one window asks for the
    same hours until the next one closes, so the merge is kept too."""
    key = (name, first, last)
    merged = _spans.get(key)
    if merged is None:
        hours = [first + HOUR * n for n in range((last - first) // HOUR)]
        merged = merge(_kept(name, hours, query), sums, maxima)
        with _lock:
            for stale in [k for k in _spans if k[0] == name and k[2] < last]:
                _spans.pop(stale, None)  # a later hour has closed since
            _spans[key] = merged
    return merged


def _kept(name, hours, query):
    missing = [hour for hour in hours if (name, hour) not in _hours]
    if missing:
        found = query.run_by_hour(missing[0], missing[-1] + HOUR)
        with _lock:
            for hour in missing:
                _hours[name, hour] = found.get(hour, {})
    return [_hours.get((name, hour), {}) for hour in hours]


def _forget_before(moment):
    with _lock:
        for kept in (_hours, _spans):
            for key in [key for key in kept if key[1] < moment]:
                kept.pop(key, None)


class _Query:
    def __init__(self, queryset, group_by, aggregates, field):
        self.queryset = queryset
        self.group_by = tuple(group_by)
        self.aggregates = aggregates
        self.field = field

    def _between(self, since, until):
        return Q(**{f"{self.field}__gte": since, f"{self.field}__lt": until})

    def run(self, spans):
        """``{group: values}`` of the rows in the ``(since, until)`` spans, in one query."""
        spans = [(since, until) for since, until in spans if since < until]
        if not spans:
            return {}
        inside = reduce(or_, (self._between(since, until) for since, until in spans))
        rows = self.queryset.filter(inside)
        if not self.group_by:
            found = rows.aggregate(**self.aggregates)
            return {(): found} if any(v is not None for v in found.values()) else {}
        rows = rows.values(*self.group_by).annotate(**self.aggregates).order_by()
        return {self._group(row): self._values(row) for row in rows}

    def run_by_hour(self, since, until):
        """``{hour start: {group: values}}`` in one query."""
        rows = (
            self.queryset.filter(self._between(since, until))
            .annotate(rollup_hour=TruncHour(self.field, tzinfo=UTC))
            .values("rollup_hour", *self.group_by)
            .annotate(**self.aggregates)
            .order_by()
        )
        found = {}
        for row in rows:
            found.setdefault(row["rollup_hour"], {})[self._group(row)] = self._values(row)
        return found

    def _group(self, row):
        return tuple(row[field] for field in self.group_by)

    def _values(self, row):
        return {alias: row[alias] for alias in self.aggregates}


def _hour_of(moment):
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _next_hour(moment):
    hour = _hour_of(moment)
    return hour if hour == moment else hour + HOUR


def _add(a, b):
    return b if a is None else a if b is None else a + b


def _larger(a, b):
    return b if a is None else a if b is None else max(a, b)
