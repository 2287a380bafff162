"""Cache rules: a low hit ratio."""

from flowscope.analysis.recommendations.base import RateRule, Words
from flowscope.analysis.recommendations.wording import counted


class LowCacheHitRatio(RateRule):
    """Cache aliases whose hit ratio is under ``cache_hit_ratio``."""

    kind = "low_cache_hit_ratio"
    metric = "cache_hit_ratio"
    above = False
    key = "alias"
    evidence = "cache_lookups"

    def groups(self, window):
        return window.stats.cache

    def observations(self, group):
        return group["hits"] + group["misses"]

    def rate(self, group):
        return group["hits"] / self.observations(group)

    def affected(self, finding):
        return self.observations(finding.group)

    def describe(self, finding):
        alias, hits, misses = (finding.group[k] for k in ("alias", "hits", "misses"))
        lookups = hits + misses
        return Words(
            f"Cache '{alias}' hits only {finding.value:.0%} of lookups",
            f"Of {counted(lookups, 'lookup')} in cache '{alias}' in this window, {misses} "
            "missed: those requests paid for the cache and for the work it should have saved.",
            {
                "alias": alias,
                "lookups": lookups,
                "hits": hits,
                "misses": misses,
                "hit_ratio": round(finding.value, 3),
            },
            "Check that every miss stores its value (get, compute, set), that timeouts are not "
            "shorter than the time between reads, and that keys hold no per-request parts "
            "(timestamps, session IDs); stop caching values that are read only once.",
        )
