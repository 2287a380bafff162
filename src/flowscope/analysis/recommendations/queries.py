"""Database rules: slow queries."""

from django.db.models import F
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from flowscope.analysis.recommendations.base import PercentileRule, Words
from flowscope.analysis.recommendations.wording import counted, durations, ms, table_of, where


class SlowQuery(PercentileRule):
    """Queries whose p95 duration is over ``slow_query_ms``."""

    kind = "slow_query"
    metric = "slow_query_ms"
    layer = "database"

    def groups(self, window):
        return window.stats.queries.values()

    def rows(self, steps, keys, **options):
        return self.recent_steps(
            steps,
            keys,
            **options,
            value=F("duration_ms"),
            sql=KeyTextTransform("sql", "metadata"),
            call_site=KeyTransform("call_site", "metadata"),
        )

    def affected(self, finding):
        return finding.group["count"]

    def describe(self, finding):
        stats, timing, sample = finding.group, finding.spread, finding.sample
        call_site = next((row["call_site"] for row in sample if row["call_site"]), None)
        # The whole statement where the capture kept it (the step's name is cut at 500).
        sql = next((row["sql"] for row in sample if row["sql"]), stats["name"])
        runs = counted(stats["count"], "run")
        return Words(
            f"Slow query: p95 {ms(timing['p95'])} ms over {runs}",
            f"This query took {ms(timing['p95'])} ms or more in 5% of its {runs} in this "
            f"window (median {ms(timing['p50'])} ms, slowest {ms(stats['max_ms'])} ms).",
            {
                "sql": sql,
                "count": stats["count"],
                **durations(finding),
                "sample": timing["sample"],
                "call_site": call_site,
                "examples": self.worst_examples(finding),
            },
            "Run EXPLAIN on it and add an index on the columns of its WHERE, JOIN and ORDER "
            f"BY clauses{_table_hint(sql)}; fetch fewer rows or columns (only(), values(), "
            "pagination); if its result changes rarely, cache it. Called from "
            f"{where(call_site)}.",
        )


def _table_hint(sql):
    table = table_of(sql)
    return f" (table {table})" if table else ""
