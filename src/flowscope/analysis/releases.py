"""Releases: what each release of the host's code served (workflows tagged by the RELEASE
setting), and two compared per workflow type and step — p95, queries per request, error
rate — with what got slower or chattier and the queries and call sites behind it.

Counts per release and workflow type are aggregated in SQL over every workflow. Percentiles
and per-step figures are read from a capped sample: the ``SAMPLE_WORKFLOWS`` most recent
workflows of each release (their request steps, and their queries grouped in SQL by
request and statement), so a comparison costs the same however long a release ran.
"""

from collections import defaultdict

from django.db.models import Count, Max, Min, Q, Sum

from flowscope.models import TraceStep, WorkflowSession
from flowscope.percentiles import percentile

SAMPLE_WORKFLOWS = 2000
MAX_RELEASES = 100
MAX_CHANGES = 20
MAX_QUERIES = 5  # queries named behind each change
ROOT_LAYERS = ("api", "task")  # a request's step, a background task's run
# A step is slower when its p95 grew by both; chattier with this many more queries a
# request; failing more when its error rate rose by this much.
SLOWER_RATIO, SLOWER_MIN_MS = 1.2, 10.0
CHATTIER_MIN_QUERIES = 0.5
ERROR_RATE_MIN_RISE = 0.05
WORSE = {"slower", "chattier", "failing more"}  # beside "new" and "gone"


def _tagged():
    return WorkflowSession.objects.real_traffic().exclude(release="")


def releases(limit=MAX_RELEASES):
    """The releases seen, latest first (by when each was first seen), with their workflows."""
    rows = (
        _tagged()
        .values("release")
        .annotate(
            first_seen=Min("started_at"),
            last_seen=Max("started_at"),
            workflows=Count("id"),
            failed=Count("id", filter=Q(status=WorkflowSession.Status.FAILED)),
        )
        .order_by("-first_seen")[:limit]
    )
    return list(rows)


def seen(release):
    return _tagged().filter(release=release).exists()


def latest_pair():
    """``(base, head)``: the latest release and the one before it, or None with fewer."""
    seen = releases(limit=2)
    return (seen[1]["release"], seen[0]["release"]) if len(seen) == 2 else None


def compare(base, head):
    """``base`` against ``head``: per workflow type and step, and the ``changes``."""
    before, after = _ReleaseStats(base), _ReleaseStats(head)
    types = sorted(set(before.types) | set(after.types))
    steps = [_step_row(key, before, after) for key in sorted(set(before.steps) | set(after.steps))]
    worse = (row for row in steps if WORSE.intersection(row["changes"]))
    changes = sorted(worse, key=_weight, reverse=True)
    return {
        "base": before.summary(),
        "head": after.summary(),
        "sample_size": SAMPLE_WORKFLOWS,
        "workflow_types": [_type_row(name, before, after) for name in types],
        "steps": steps,
        "changes": _with_call_sites(
            [_with_queries(row, before, after) for row in changes[:MAX_CHANGES]], after
        ),
    }


class _ReleaseStats:
    """One release's figures: per workflow type (``types``) and per (type, step) (``steps``),
    with each step's queries per request by normalized SQL (``queries``)."""

    def __init__(self, release):
        self.release = release
        workflows = _tagged().filter(release=release)
        self.types = {row["workflow_type"]: row for row in _type_counts(workflows)}
        self.sample = _recent(workflows)
        self.durations = _durations(self.sample)
        self.steps, self.roots = _root_steps(self.sample)
        self.queries = _queries(self.sample, self.roots)

    def summary(self):
        counts = self.types.values()
        return {
            "release": self.release,
            "workflows": sum(row["workflows"] for row in counts),
            "failed": sum(row["failed"] for row in counts),
        }

    def type_figures(self, name):
        counts = self.types.get(name)
        if counts is None:
            return None
        requests = [r for (kind, _), rows in self.steps.items() if kind == name for r in rows]
        return {
            "workflows": counts["workflows"],
            "error_rate": _rate(counts["failed"], counts["workflows"]),
            "p95_ms": percentile(sorted(self.durations.get(name, [])), 0.95),
            "queries_per_request": _mean(r["queries"] for r in requests),
        }

    def step_figures(self, key):
        rows = self.steps.get(key)
        if not rows:
            return None
        return {
            "requests": len(rows),
            "p95_ms": percentile(sorted(r["duration_ms"] for r in rows), 0.95),
            "queries_per_request": _mean(r["queries"] for r in rows),
            "error_rate": _rate(sum(r["failed"] for r in rows), len(rows)),
        }

    def per_request(self, key):
        """``{sql: (queries a request, ms a request)}`` of the step ``key``."""
        requests = len(self.steps.get(key, ())) or 1
        return {
            sql: (count / requests, ms / requests)
            for sql, (count, ms) in self.queries.get(key, {}).items()
        }

    def call_sites(self, sqls):
        """``{sql: call site}`` of the sample's first query of each of ``sqls``: two queries
        however many (a query each would be up to MAX_CHANGES x MAX_QUERIES of them)."""
        firsts = (
            TraceStep.objects.filter(workflow__in=self.sample, layer="database", name__in=sqls)
            .values("name")
            .annotate(first=Min("id"))
            .order_by()
        )
        ids = [row["first"] for row in firsts]
        rows = TraceStep.objects.filter(pk__in=ids).values_list("name", "metadata__call_site")
        return {sql: site for sql, site in rows.order_by() if site}


def _type_counts(workflows):
    return (
        workflows.values("workflow_type")
        .annotate(
            workflows=Count("id"),
            failed=Count("id", filter=Q(status=WorkflowSession.Status.FAILED)),
        )
        .order_by()
    )


def _recent(workflows):
    """The release's most recent ``SAMPLE_WORKFLOWS`` workflows, as a subquery (no LIMIT
    inside it: MariaDB refuses one in IN)."""
    cutoff = list(
        workflows.order_by("-started_at").values_list("started_at", flat=True)[
            SAMPLE_WORKFLOWS - 1 : SAMPLE_WORKFLOWS
        ]
    )
    recent = workflows.filter(started_at__gte=cutoff[0]) if cutoff else workflows
    return recent.values("pk")


def _durations(sample):
    durations = defaultdict(list)
    rows = WorkflowSession.objects.filter(pk__in=sample, duration_ms__isnull=False)
    for kind, ms in rows.values_list("workflow_type", "duration_ms"):
        durations[kind].append(ms)
    return durations


def _root_steps(sample):
    """``({(type, step name): [request]}, {(workflow id, span id): key})`` of the sample's
    request and task steps."""
    rows = TraceStep.objects.filter(workflow__in=sample, layer__in=ROOT_LAYERS).values_list(
        "workflow_id",
        "workflow__workflow_type",
        "span_id",
        "name",
        "duration_ms",
        "status",
        "metadata__query_count",
        "metadata__status_code",
    )
    steps, roots = defaultdict(list), {}
    for workflow_id, kind, span_id, name, ms, status, queries, code in rows.order_by():
        key = (kind, name)
        roots[(workflow_id, span_id)] = key
        failed = status == "error" or (isinstance(code, int) and code >= 500)
        steps[key].append({"duration_ms": ms, "queries": queries or 0, "failed": failed})
    return steps, roots


def _queries(sample, roots):
    """``{step key: {sql: [count, ms]}}``: the sample's queries counted in SQL by the step
    that ran them and their normalized text; a query under a custom step is the request's."""
    parents = dict(
        ((w, s), p)
        for w, s, p in TraceStep.objects.filter(workflow__in=sample)
        .exclude(layer__in=("database", "cache", *ROOT_LAYERS))
        .values_list("workflow_id", "span_id", "parent_span_id")
        .order_by()
    )
    grouped = (
        TraceStep.objects.filter(workflow__in=sample, layer="database")
        .values_list("workflow_id", "parent_span_id", "name")
        .annotate(count=Count("id"), ms=Sum("duration_ms"))
        .order_by()
    )
    queries = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
    for workflow_id, parent, sql, count, ms in grouped:
        key = _root_of(workflow_id, parent, roots, parents)
        if key is not None:
            figures = queries[key][sql]
            figures[0] += count
            figures[1] += ms or 0.0
    return queries


def _root_of(workflow_id, span_id, roots, parents):
    for _ in range(50):  # steps nest a few levels; a cycle in bad data ends here
        if (workflow_id, span_id) in roots:
            return roots[(workflow_id, span_id)]
        span_id = parents.get((workflow_id, span_id))
        if span_id is None:
            return None
    return None


def _type_row(name, before, after):
    return {
        "workflow_type": name,
        "base": before.type_figures(name),
        "head": after.type_figures(name),
    }


def _step_row(key, before, after):
    base, head = before.step_figures(key), after.step_figures(key)
    return {
        "workflow_type": key[0],
        "step": key[1],
        "base": base,
        "head": head,
        "changes": _changes(base, head),
    }


def _changes(base, head):
    """What got worse from ``base`` to ``head``: "slower", "chattier", "failing more"; a step
    only one of them ran is "new" or "gone"."""
    if base is None or head is None:
        return ["new"] if base is None else ["gone"]
    changes = []
    if _slower(base["p95_ms"], head["p95_ms"]):
        changes.append("slower")
    if head["queries_per_request"] - base["queries_per_request"] >= CHATTIER_MIN_QUERIES:
        changes.append("chattier")
    if head["error_rate"] - base["error_rate"] >= ERROR_RATE_MIN_RISE:
        changes.append("failing more")
    return changes


def _slower(base_ms, head_ms):
    return head_ms - base_ms >= SLOWER_MIN_MS and head_ms >= base_ms * SLOWER_RATIO


def _weight(row):
    """Most queries added first, then the largest rise in p95."""
    base, head = row["base"], row["head"]
    return (
        head["queries_per_request"] - base["queries_per_request"],
        head["p95_ms"] - base["p95_ms"],
    )


def _with_queries(row, before, after):
    """The change with the queries behind it: those run more (or, for a step only slower,
    taking longer) a request in ``head``, with the call site of each."""
    key = (row["workflow_type"], row["step"])
    was, now = before.per_request(key), after.per_request(key)
    by_time = row["changes"] == ["slower"]
    deltas = []
    for sql, (count, ms) in now.items():
        old_count, old_ms = was.get(sql, (0.0, 0.0))
        grown = ms - old_ms if by_time else count - old_count
        if grown > (0.0 if by_time else 0.05):
            deltas.append((grown, sql, old_count, count, old_ms, ms))
    deltas.sort(key=lambda item: item[0], reverse=True)
    return {
        **row,
        "queries": [
            {
                "sql": sql,
                "new": sql not in was,
                "base_per_request": round(old_count, 2),
                "head_per_request": round(count, 2),
                "base_ms_per_request": round(old_ms, 3),
                "head_ms_per_request": round(ms, 3),
            }
            for _, sql, old_count, count, old_ms, ms in deltas[:MAX_QUERIES]
        ],
    }


def _with_call_sites(changes, after):
    """Each query of ``changes`` with its call site in ``after`` (None if it has none)."""
    queries = [query for change in changes for query in change["queries"]]
    sites = after.call_sites({query["sql"] for query in queries}) if queries else {}
    for query in queries:
        query["call_site"] = sites.get(query["sql"])
    return changes


def _mean(values):
    values = list(values)
    return round(sum(values) / len(values), 2) if values else 0.0


def _rate(part, whole):
    return round(part / whole, 4) if whole else 0.0
