"""Route rules: slow routes, large responses, failing routes."""

from django.db.models import F
from django.db.models.fields.json import KeyTextTransform

from flowscope.analysis.period_stats import metadata_number
from flowscope.analysis.recommendations.base import PercentileRule, RateRule, Words
from flowscope.analysis.recommendations.wording import (
    EXAMPLES,
    counted,
    distinct_examples,
    durations,
    kib,
    ms,
)
from flowscope.models import TraceStep


class RouteRule:
    """A rule over the window's routes (its API steps, one row per route)."""

    def groups(self, window):
        return window.stats.routes.values()

    def affected(self, finding):
        return finding.group["requests"]


class SlowRoute(RouteRule, PercentileRule):
    """Routes whose p95 response time is over ``response_time_ms``."""

    kind = "slow_route"
    metric = "response_time_ms"

    def rows(self, steps, keys, **options):
        return self.recent_steps(steps, keys, **options, value=F("duration_ms"))

    def describe(self, finding):
        stats, timing = finding.group, finding.spread
        route = stats["name"]
        return Words(
            f"Slow route {route}: p95 {ms(timing['p95'])} ms",
            f"One request in twenty to {route} took {ms(timing['p95'])} ms or more "
            f"(median {ms(timing['p50'])} ms, slowest {ms(stats['max_ms'])} ms, "
            f"{counted(stats['requests'], 'request')} in this window).",
            {
                "route": route,
                "requests": stats["requests"],
                **durations(finding),
                "avg_ms": ms(stats["avg_ms"]),
                "sample": timing["sample"],
                "examples": self.worst_examples(finding),
            },
            "Open the slowest example workflows and look at where the time goes: many or slow "
            "queries (N+1, missing indexes), slow outside calls (add timeouts, move them to a "
            "background task) or work the view could cache.",
        )


class LargeResponse(RouteRule, PercentileRule):
    """Routes whose p95 response size is over ``response_size_bytes``."""

    kind = "large_response"
    metric = "response_size_bytes"
    maximum, rank = "max_bytes", "avg_bytes"
    spread_metric, worst = "response_size_bytes", "-size"

    def rows(self, steps, keys, **options):
        sized = steps.alias(size=metadata_number("response_size")).filter(size__isnull=False)
        return self.recent_steps(sized, keys, **options, value=F("size"))

    def describe(self, finding):
        stats, sizes = finding.group, finding.spread
        route = stats["name"]
        return Words(
            f"Large responses from {route}: p95 {kib(sizes['p95'])}",
            f"One response in twenty from {route} was {kib(sizes['p95'])} or more (median "
            f"{kib(sizes['p50'])}, largest {kib(stats['max_bytes'])}); every byte is "
            "serialized, sent and parsed on each request.",
            {
                "route": route,
                "requests": stats["requests"],
                "p50_bytes": round(sizes["p50"]),
                "p95_bytes": round(sizes["p95"]),
                "max_bytes": round(stats["max_bytes"]),
                "sample": sizes["sample"],
                "examples": self.worst_examples(finding),
            },
            "Paginate the list (or lower its page size), return only the fields the client "
            "shows, and enable gzip compression (GZipMiddleware or the web server).",
        )


class HighErrorRate(RouteRule, RateRule):
    """Routes whose share of failed requests is over ``error_rate``."""

    kind = "high_error_rate"
    metric = "error_rate"
    evidence = "route_requests"

    def observations(self, group):
        return group["requests"]

    def rate(self, group):
        return group["errors"] / group["requests"]

    def samples(self, window, keys):
        """The most recent failed requests (of the last 2 hours only, in a long window)."""
        return self.recent_steps(
            window.stats.sample_steps("api").filter(status=TraceStep.Status.ERROR),
            keys,
            per_group=EXAMPLES,
            status_code=KeyTextTransform("status_code", "metadata"),
        )

    def affected(self, finding):
        return finding.group["errors"]

    def describe(self, finding):
        route, requests, errors = (finding.group[k] for k in ("name", "requests", "errors"))
        failed = finding.sample
        codes = sorted({str(row["status_code"]) for row in failed if row["status_code"]})
        return Words(
            f"{route} fails {finding.value:.0%} of requests",
            f"{errors} of {counted(requests, 'request')} to {route} in this window failed "
            f"(an exception, a 5xx, or a 4xx that ended its workflow).",
            {
                "route": route,
                "requests": requests,
                "errors": errors,
                "error_rate": round(finding.value, 3),
                "recent_status_codes": codes,
                "examples": distinct_examples(failed),
            },
            "Open the example workflows and their grouped errors: fix the exception behind a "
            "5xx, and answer expected bad input with a 4xx that says what to change.",
        )
