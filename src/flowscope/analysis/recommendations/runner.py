"""Running the rules over one window: the most important recommendations first."""

from dataclasses import dataclass

from django.utils import timezone

from flowscope.analysis.period_stats import PeriodStats
from flowscope.analysis.recommendations.cache import LowCacheHitRatio
from flowscope.analysis.recommendations.n_plus_one import NPlusOne
from flowscope.analysis.recommendations.queries import SlowQuery
from flowscope.analysis.recommendations.routes import HighErrorRate, LargeResponse, SlowRoute
from flowscope.analysis.recommendations.workflows import ChattyWorkflow
from flowscope.thresholds import effective_thresholds, evidence_minimums

RULES = [
    NPlusOne(),
    SlowQuery(),
    SlowRoute(),
    LowCacheHitRatio(),
    HighErrorRate(),
    LargeResponse(),
    ChattyWorkflow(),
]


@dataclass
class Window:
    """The time window a run looks at (its shared aggregates), its thresholds and the
    evidence a rate needs."""

    stats: PeriodStats
    thresholds: dict
    evidence: dict

    def steps(self, layer):
        return self.stats.steps(layer)

    def levels(self, metric):
        return self.thresholds.get(metric) or {}


def recommend(since, until=None, thresholds=None, limit=20, stats=None):
    """Recommendations for the window ``[since, until)`` (until: now), most important
    first, at most ``limit`` of them (None: all).

    ``thresholds`` is shaped like ``FLOWSCOPE["THRESHOLDS"]`` (a dashboard configuration's)
    and overrides the settings level by level. ``stats``: the window's ``PeriodStats``,
    when the caller has them already (their aggregates are then not computed again).
    """
    stats = stats or PeriodStats(since, until or timezone.now())
    window = Window(stats, effective_thresholds(thresholds), evidence_minimums())
    found = [recommendation for rule in RULES for recommendation in rule(window)]
    found.sort(key=lambda r: (-r["score"], r["kind"], r["title"]))
    return found if limit is None else found[:limit]
