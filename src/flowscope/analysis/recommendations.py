"""Optimization recommendations: rules over the steps and workflows stored in a time window.

A rule is a function of a ``Window`` returning recommendations (plain, JSON-serialisable
dicts); ``RULES`` lists them, so a new rule is one function and one line. ``recommend()``
runs them all and returns the most important first.

Cost is bounded whatever the table size. The rules read the window's shared aggregates
(``PeriodStats``: per route, per query, per cache alias; one scan each, shared with the
performance report when it passes its own); percentiles, which SQLite cannot compute,
come from the most recent ``SAMPLE_SIZE`` values of at most ``CANDIDATES`` groups per rule,
read in one query. ``recommend()`` runs at most ``MAX_QUERIES`` (10) queries; those marked *
run only when a rule has candidates:

1. n_plus_one: the most recent ``N_PLUS_ONE_SAMPLE`` requests flagged with an N+1 (a
   partial index holds just those)
2. API steps per route (shared by n_plus_one, slow_route, high_error_rate, large_response)
3. database steps per query (slow_query)
4. slow_query*: recent durations of the slowest queries
5. slow_route*: recent durations of the candidate routes
6. low_cache_hit_ratio: hits and misses per cache alias
7. high_error_rate*: recent failed requests of the failing routes (examples)
8. large_response*: recent response sizes of the candidate routes
9. chatty_workflow: workflows per type
10. chatty_workflow*: the busiest workflows of the chatty types (examples)

Thresholds: ``FLOWSCOPE["THRESHOLDS"]`` for the metrics it has (response_time_ms,
error_rate, query_count, cache_hit_ratio), ``RULE_THRESHOLDS`` for the rules' own. Each
rule knows whether higher is worse, so an entry's "above" is not read here.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Max
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils import timezone

from flowscope.analysis.period_stats import MAX_GROUPS, PeriodStats, first_rows, metadata_number
from flowscope.conf import flowscope_settings
from flowscope.models import TraceStep
from flowscope.percentiles import percentile

# Thresholds of the rules' own metrics, shaped like FLOWSCOPE["THRESHOLDS"] (and meant to
# move there). An entry may also have an "info" level: passing it is worth a hint only.
RULE_THRESHOLDS = {
    "slow_query_ms": {"warning": 100, "critical": 1000, "above": True},
    "response_size_bytes": {"warning": 500 * 1024, "critical": 5 * 1024 * 1024, "above": True},
    "requests_per_workflow": {"info": 20, "warning": 50, "above": True},
}
# Fewer observations than this are not evidence enough for a rate or an average.
MIN_EVIDENCE = {"cache_lookups": 20, "route_requests": 10, "workflows": 3}

MAX_QUERIES = 10
CANDIDATES = 10  # groups per rule whose percentiles are computed
N_PLUS_ONE_SAMPLE = 1000  # most recent flagged requests read
EXAMPLES = 5  # correlation IDs per recommendation

LEVELS = ("critical", "warning", "info")
SEVERITY_RANK = {"info": 1, "warning": 2, "critical": 3}


def recommend(since, until=None, thresholds=None, limit=20, stats=None):
    """Recommendations for the window ``[since, until)`` (until: now), most important
    first, at most ``limit`` of them (None: all).

    ``thresholds`` is shaped like ``FLOWSCOPE["THRESHOLDS"]`` (a dashboard configuration's)
    and overrides the settings level by level. ``stats``: the window's ``PeriodStats``,
    when the caller has them already (their aggregates are then not computed again).
    """
    stats = stats or PeriodStats(since, until or timezone.now())
    window = Window(stats, effective_thresholds(thresholds))
    found = [recommendation for rule in RULES for recommendation in rule(window)]
    found.sort(key=lambda r: (-r["score"], r["kind"], r["title"]))
    return found if limit is None else found[:limit]


def effective_thresholds(override=None):
    """Rule defaults, then the settings, then ``override``, merged level by level so that
    overriding "warning" keeps the configured "critical"."""
    merged = {}
    for layer in (RULE_THRESHOLDS, flowscope_settings.THRESHOLDS, override or {}):
        for metric, levels in layer.items():
            if isinstance(levels, dict):
                merged[metric] = {**merged.get(metric, {}), **levels}
    return merged


@dataclass
class Window:
    """The time window a run looks at (its shared aggregates) and its thresholds."""

    stats: PeriodStats
    thresholds: dict

    def steps(self, layer):
        return self.stats.steps(layer)

    def workflows(self):
        return self.stats.workflows()

    def levels(self, metric):
        return self.thresholds.get(metric) or {}


def candidates(stats, value_key, limit_value, rank_key):
    """The ``CANDIDATES`` groups whose ``value_key`` (a maximum) passes ``limit_value``,
    highest ``rank_key`` first: a p95 cannot pass a limit the maximum does not."""
    passing = [s for s in stats if s[value_key] is not None and s[value_key] > limit_value]
    passing.sort(key=lambda s: -(s[rank_key] or 0))
    return passing[:CANDIDATES]


# Grading and scoring ----------------------------------------------------------------------


def grade(value, levels, above=True):
    """The worst level ``value`` passes ("critical", "warning", "info"), else None."""
    for severity in LEVELS:
        limit = levels.get(severity)
        if limit is not None and (value > limit if above else value < limit):
            return severity
    return None


def trigger(levels, above=True):
    """The mildest limit of ``levels``: what a group must pass to be reported at all."""
    limits = [levels[s] for s in LEVELS if levels.get(s) is not None]
    if not limits:
        return None
    return min(limits) if above else max(limits)


def magnitude(value, limit, above=True):
    """How many times past its limit a value is (capped at 10)."""
    worse, better = (value, limit) if above else (limit, value)
    return min(worse / better, 10.0) if better > 0 else 10.0


def score(severity, times_over, affected):
    """Severity first; within a severity, how far past its limit, weighted by the log of
    how much traffic it touches (so a busy route outranks a one-off)."""
    impact = times_over * math.log10(10 + affected) * 10
    return round(SEVERITY_RANK[severity] * 1000 + min(impact, 999.0), 2)


def make(kind, severity, title, explanation, evidence, suggestion, times_over, affected):
    return {
        "kind": kind,
        "severity": severity,
        "title": title,
        "explanation": explanation,
        "evidence": evidence,
        "suggestion": suggestion,
        "score": score(severity, times_over, affected),
    }


# Formatting -------------------------------------------------------------------------------


def ms(value):
    return None if value is None else round(float(value), 1)


def counted(number, noun):
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def kib(size):
    return f"{size / 1024:,.0f} KB"


def where(call_site):
    if not call_site:
        return "an unknown call site"
    return f"{call_site.get('file')}:{call_site.get('line')} (in {call_site.get('function')})"


def distinct_examples(rows, field="cid"):
    """Up to ``EXAMPLES`` distinct correlation IDs, in the order of ``rows``."""
    return list(dict.fromkeys(row[field] for row in rows if row.get(field)))[:EXAMPLES]


def distribution(values):
    ordered = sorted(float(v) for v in values if v is not None)
    return {
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "sample": len(ordered),
    }


_TABLE = re.compile(r"\bFROM\s+[\"`]?([\w.]+)", re.IGNORECASE)


def table_of(sql):
    match = _TABLE.search(sql or "")
    return match.group(1) if match else None


# Rules ------------------------------------------------------------------------------------


def n_plus_one(window):
    """Routes whose requests run one query per item of a list (flagged at capture, see
    N_PLUS_ONE_THRESHOLD). Occurrences are counted over the most recent
    ``N_PLUS_ONE_SAMPLE`` flagged requests: grouping by the SQL inside the JSON list would
    need vendor-specific SQL."""
    rows = (
        window.steps("api")
        .filter(metadata__has_key="n_plus_one")
        .order_by("-started_at")
        .values(
            "name",
            cid=F("workflow__correlation_id"),
            findings=KeyTransform("n_plus_one", "metadata"),
        )[:N_PLUS_ONE_SAMPLE]
    )
    groups = defaultdict(list)
    for row in rows:
        for finding in row["findings"] or []:
            groups[row["name"], finding.get("sql", "")].append({**finding, "cid": row["cid"]})
    return [
        n_plus_one_recommendation(window, route, sql, found)
        for (route, sql), found in groups.items()
    ]


def n_plus_one_recommendation(window, route, sql, found):
    repeats = max(f.get("count", 0) for f in found)
    call_site = next((f["call_site"] for f in found if f.get("call_site")), None)
    # Flagged means past N_PLUS_ONE_THRESHOLD already: a warning at least, critical when
    # the repetitions alone pass the critical query count.
    critical = grade(repeats, window.levels("query_count")) == "critical"
    severity = "critical" if critical else "warning"
    requests = window.stats.routes.get(route, {}).get("requests")
    table = table_of(sql)
    reads = f" (it reads {table})" if table else ""
    return make(
        "n_plus_one",
        severity,
        f"N+1 queries in {route}: the same query up to {repeats} times per request",
        f"Requests to {route} run the same query once per item of a list{reads} instead of "
        f"loading all items at once. Seen in {counted(len(found), 'request')} of this "
        f"window, up to {repeats} times in one request; each costs a round trip to the "
        "database.",
        {
            "route": route,
            "sql": sql,
            "occurrences": len(found),
            "route_requests": requests,
            "max_repeats": repeats,
            "call_site": call_site,
            "examples": distinct_examples(found),
        },
        f"At {where(call_site)}, load the related rows together with the list: add "
        "select_related() for a ForeignKey or one-to-one, or prefetch_related() for a "
        "many-to-many or reverse relation, to the queryset the loop iterates over.",
        times_over=magnitude(repeats, flowscope_settings.N_PLUS_ONE_THRESHOLD),
        affected=len(found),
    )


def slow_query(window):
    """Queries whose p95 duration is over ``slow_query_ms``."""
    levels = window.levels("slow_query_ms")
    limit = trigger(levels)
    if limit is None:
        return []
    chosen = candidates(window.stats.queries.values(), "max_ms", limit, "avg_ms")
    samples = first_rows(
        window.steps("database"),
        F("name"),
        [c["name"] for c in chosen],
        value=F("duration_ms"),
        cid=F("workflow__correlation_id"),
        sql=KeyTextTransform("sql", "metadata"),
        call_site=KeyTransform("call_site", "metadata"),
    )
    found = [slow_query_recommendation(c, samples.get(c["name"], []), levels) for c in chosen]
    return [r for r in found if r]


def slow_query_recommendation(stats, sample, levels):
    timing = distribution(row["value"] for row in sample)
    severity = grade(timing["p95"] or 0, levels)
    if severity is None:
        return None
    slowest = sorted(sample, key=lambda row: -row["value"])
    call_site = next((row["call_site"] for row in sample if row["call_site"]), None)
    # The whole statement where the capture kept it (the step's name is cut at 500).
    sql = next((row["sql"] for row in sample if row["sql"]), stats["name"])
    return make(
        "slow_query",
        severity,
        f"Slow query: p95 {ms(timing['p95'])} ms over {counted(stats['count'], 'run')}",
        f"This query took {ms(timing['p95'])} ms or more in 5% of its "
        f"{counted(stats['count'], 'run')} in this window (median {ms(timing['p50'])} ms, "
        f"slowest {ms(stats['max_ms'])} ms).",
        {
            "sql": sql,
            "count": stats["count"],
            "p50_ms": ms(timing["p50"]),
            "p95_ms": ms(timing["p95"]),
            "max_ms": ms(stats["max_ms"]),
            "sample": timing["sample"],
            "call_site": call_site,
            "examples": distinct_examples(slowest),
        },
        f"Run EXPLAIN on it and add an index on the columns of its WHERE, JOIN and ORDER BY "
        f"clauses{_table_hint(sql)}; fetch fewer rows or columns (only(), values(), "
        f"pagination); if its result changes rarely, cache it. Called from {where(call_site)}.",
        times_over=magnitude(timing["p95"], trigger(levels)),
        affected=stats["count"],
    )


def _table_hint(sql):
    table = table_of(sql)
    return f" (table {table})" if table else ""


def slow_route(window):
    """Routes whose p95 response time is over THRESHOLDS["response_time_ms"]."""
    levels = window.levels("response_time_ms")
    limit = trigger(levels)
    if limit is None:
        return []
    chosen = candidates(window.stats.routes.values(), "max_ms", limit, "avg_ms")
    samples = first_rows(
        window.steps("api"),
        F("name"),
        [c["name"] for c in chosen],
        value=F("duration_ms"),
        cid=F("workflow__correlation_id"),
    )
    found = [slow_route_recommendation(c, samples.get(c["name"], []), levels) for c in chosen]
    return [r for r in found if r]


def slow_route_recommendation(stats, sample, levels):
    timing = distribution(row["value"] for row in sample)
    severity = grade(timing["p95"] or 0, levels)
    if severity is None:
        return None
    route = stats["name"]
    slowest = sorted(sample, key=lambda row: -row["value"])
    return make(
        "slow_route",
        severity,
        f"Slow route {route}: p95 {ms(timing['p95'])} ms",
        f"One request in twenty to {route} took {ms(timing['p95'])} ms or more "
        f"(median {ms(timing['p50'])} ms, slowest {ms(stats['max_ms'])} ms, "
        f"{counted(stats['requests'], 'request')} in this window).",
        {
            "route": route,
            "requests": stats["requests"],
            "p50_ms": ms(timing["p50"]),
            "p95_ms": ms(timing["p95"]),
            "max_ms": ms(stats["max_ms"]),
            "avg_ms": ms(stats["avg_ms"]),
            "sample": timing["sample"],
            "examples": distinct_examples(slowest),
        },
        "Open the slowest example workflows and look at where the time goes: many or slow "
        "queries (N+1, missing indexes), slow outside calls (add timeouts, move them to a "
        "background task) or work the view could cache.",
        times_over=magnitude(timing["p95"], trigger(levels)),
        affected=stats["requests"],
    )


def low_cache_hit_ratio(window):
    """Cache aliases whose hit ratio is under THRESHOLDS["cache_hit_ratio"]."""
    levels = window.levels("cache_hit_ratio")
    if trigger(levels, above=False) is None:
        return []
    found = [cache_recommendation(row, levels) for row in window.stats.cache]
    return [r for r in found if r]


def cache_recommendation(row, levels):
    alias, hits, misses = row["alias"], row["hits"], row["misses"]
    lookups = hits + misses
    if lookups < MIN_EVIDENCE["cache_lookups"]:
        return None
    ratio = hits / lookups
    severity = grade(ratio, levels, above=False)
    if severity is None:
        return None
    return make(
        "low_cache_hit_ratio",
        severity,
        f"Cache '{alias}' hits only {ratio:.0%} of lookups",
        f"Of {counted(lookups, 'lookup')} in cache '{alias}' in this window, {misses} "
        "missed: those requests paid for the cache and for the work it should have saved.",
        {
            "alias": alias,
            "lookups": lookups,
            "hits": hits,
            "misses": misses,
            "hit_ratio": round(ratio, 3),
        },
        "Check that every miss stores its value (get, compute, set), that timeouts are not "
        "shorter than the time between reads, and that keys hold no per-request parts "
        "(timestamps, session IDs); stop caching values that are read only once.",
        times_over=magnitude(ratio, trigger(levels, above=False), above=False),
        affected=lookups,
    )


def high_error_rate(window):
    """Routes whose share of failed requests is over THRESHOLDS["error_rate"]."""
    levels = window.levels("error_rate")
    limit = trigger(levels)
    if limit is None:
        return []
    failing = [
        row
        for row in window.stats.routes.values()
        if row["requests"] >= MIN_EVIDENCE["route_requests"]
        and row["errors"] / row["requests"] > limit
    ]
    examples = first_rows(
        window.steps("api").filter(status=TraceStep.Status.ERROR),
        F("name"),
        [row["name"] for row in failing],
        per_group=EXAMPLES,
        cid=F("workflow__correlation_id"),
        status_code=KeyTextTransform("status_code", "metadata"),
    )
    return [
        error_rate_recommendation(row, examples.get(row["name"], []), levels) for row in failing
    ]


def error_rate_recommendation(stats, failed, levels):
    route, requests, errors = stats["name"], stats["requests"], stats["errors"]
    rate = errors / requests
    codes = sorted({str(row["status_code"]) for row in failed if row["status_code"]})
    return make(
        "high_error_rate",
        grade(rate, levels),
        f"{route} fails {rate:.0%} of requests",
        f"{errors} of {counted(requests, 'request')} to {route} in this window failed "
        f"(an exception, a 5xx, or a 4xx that ended its workflow).",
        {
            "route": route,
            "requests": requests,
            "errors": errors,
            "error_rate": round(rate, 3),
            "recent_status_codes": codes,
            "examples": distinct_examples(failed),
        },
        "Open the example workflows and their grouped errors: fix the exception behind a "
        "5xx, and answer expected bad input with a 4xx that says what to change.",
        times_over=magnitude(rate, trigger(levels)),
        affected=errors,
    )


def large_response(window):
    """Routes whose p95 response size is over ``response_size_bytes``."""
    levels = window.levels("response_size_bytes")
    limit = trigger(levels)
    if limit is None:
        return []
    chosen = candidates(window.stats.routes.values(), "max_bytes", limit, "avg_bytes")
    sized = window.steps("api").alias(size=metadata_number("response_size"))
    samples = first_rows(
        sized.filter(size__isnull=False),
        F("name"),
        [c["name"] for c in chosen],
        value=F("size"),
        cid=F("workflow__correlation_id"),
    )
    found = [large_response_recommendation(c, samples.get(c["name"], []), levels) for c in chosen]
    return [r for r in found if r]


def large_response_recommendation(stats, sample, levels):
    sizes = distribution(row["value"] for row in sample)
    severity = grade(sizes["p95"] or 0, levels)
    if severity is None:
        return None
    route = stats["name"]
    largest = sorted(sample, key=lambda row: -(row["value"] or 0))
    return make(
        "large_response",
        severity,
        f"Large responses from {route}: p95 {kib(sizes['p95'])}",
        f"One response in twenty from {route} was {kib(sizes['p95'])} or more (median "
        f"{kib(sizes['p50'])}, largest {kib(stats['max_bytes'])}); every byte is serialized, "
        "sent and parsed on each request.",
        {
            "route": route,
            "requests": stats["requests"],
            "p50_bytes": round(sizes["p50"]),
            "p95_bytes": round(sizes["p95"]),
            "max_bytes": round(stats["max_bytes"]),
            "sample": sizes["sample"],
            "examples": distinct_examples(largest),
        },
        "Paginate the list (or lower its page size), return only the fields the client "
        "shows, and enable gzip compression (GZipMiddleware or the web server).",
        times_over=magnitude(sizes["p95"], trigger(levels)),
        affected=stats["requests"],
    )


def chatty_workflow(window):
    """Workflow types whose workflows take many requests each (those served here, and the
    server spans other services sent: ``ExternalSpans.request_count``)."""
    levels = window.levels("requests_per_workflow")
    limit = trigger(levels)
    if limit is None:
        return []
    chatty = [
        row
        for row in workflow_stats(window)
        if row["workflows"] >= MIN_EVIDENCE["workflows"] and row["avg_requests"] > limit
    ]
    busiest = first_rows(
        window.workflows(),
        F("workflow_type"),
        [row["workflow_type"] for row in chatty],
        per_group=EXAMPLES,
        order_by="-request_count",
        cid=F("correlation_id"),
    )
    return [
        chatty_recommendation(row, busiest.get(row["workflow_type"], []), levels) for row in chatty
    ]


def workflow_stats(window):
    return (
        window.workflows()
        .values("workflow_type")
        .annotate(
            workflows=Count("id"),
            avg_requests=Avg("request_count"),
            max_requests=Max("request_count"),
        )
        .order_by("workflow_type")[:MAX_GROUPS]
    )


def chatty_recommendation(stats, busiest, levels):
    kind, per_workflow = stats["workflow_type"], float(stats["avg_requests"])
    return make(
        "chatty_workflow",
        grade(per_workflow, levels),
        f"Chatty workflow '{kind}': {per_workflow:.0f} requests per workflow",
        f"The {counted(stats['workflows'], 'workflow')} of type '{kind}' started in this "
        f"window made {per_workflow:.1f} requests on average (up to "
        f"{stats['max_requests']}); each request pays for latency, authentication and "
        "middleware again.",
        {
            "workflow_type": kind,
            "workflows": stats["workflows"],
            "avg_requests": round(per_workflow, 1),
            "max_requests": stats["max_requests"],
            "examples": distinct_examples(busiest),
        },
        "Look at the busiest example workflows for calls that repeat or always come "
        "together: batch them into one endpoint, embed related data in one response, or "
        "keep what the client already fetched instead of asking again.",
        times_over=magnitude(per_workflow, trigger(levels)),
        affected=stats["workflows"],
    )


RULES = [
    n_plus_one,
    slow_query,
    slow_route,
    low_cache_hit_ratio,
    high_error_rate,
    large_response,
    chatty_workflow,
]
