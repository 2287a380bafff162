"""N+1 queries: flagged at capture already, so graded by their repeats, not a sample."""

from collections import defaultdict

from django.db.models import F
from django.db.models.fields.json import KeyTransform

from flowscope.analysis.recommendations.base import Rule, Words
from flowscope.analysis.recommendations.grading import grade, magnitude
from flowscope.analysis.recommendations.wording import counted, distinct_examples, table_of, where
from flowscope.conf import flowscope_settings

N_PLUS_ONE_SAMPLE = 1000  # most recent flagged requests read


class NPlusOne(Rule):
    """Routes whose requests run one query per item of a list (flagged at capture, see
    ``N_PLUS_ONE_THRESHOLD``). Occurrences are counted over the most recent
    ``N_PLUS_ONE_SAMPLE`` flagged requests: grouping by the SQL inside the JSON list would
    need vendor-specific SQL."""

    kind = "n_plus_one"

    def __call__(self, window):
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
        return [self.judge(window, route, sql, found) for (route, sql), found in groups.items()]

    def judge(self, window, route, sql, found):
        repeats = max(f.get("count", 0) for f in found)
        # Flagged means past N_PLUS_ONE_THRESHOLD already: a warning at least, critical when
        # the repetitions alone pass the critical query count.
        critical = grade(repeats, window.levels("query_count")) == "critical"
        return self.recommendation(
            "critical" if critical else "warning",
            self.describe(window, route, sql, found, repeats),
            times_over=magnitude(repeats, flowscope_settings.N_PLUS_ONE_THRESHOLD),
            affected=len(found),
        )

    def describe(self, window, route, sql, found, repeats):
        call_site = next((f["call_site"] for f in found if f.get("call_site")), None)
        table = table_of(sql)
        reads = f" (it reads {table})" if table else ""
        return Words(
            f"N+1 queries in {route}: the same query up to {repeats} times per request",
            f"Requests to {route} run the same query once per item of a list{reads} instead "
            f"of loading all items at once. Seen in {counted(len(found), 'request')} of this "
            f"window, up to {repeats} times in one request; each costs a round trip to the "
            "database.",
            {
                "route": route,
                "sql": sql,
                "occurrences": len(found),
                "route_requests": window.stats.routes.get(route, {}).get("requests"),
                "max_repeats": repeats,
                "call_site": call_site,
                "examples": distinct_examples(found),
            },
            f"At {where(call_site)}, load the related rows together with the list: add "
            "select_related() for a ForeignKey or one-to-one, or prefetch_related() for a "
            "many-to-many or reverse relation, to the queryset the loop iterates over.",
        )
