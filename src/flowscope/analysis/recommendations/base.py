"""What every rule shares, and the threshold pattern most rules follow.

A rule is a callable of a ``Window`` returning recommendations (plain, JSON-serialisable
dicts). Most rules grade groups (routes, queries, cache aliases, workflow types) by a
threshold of ``FLOWSCOPE["THRESHOLDS"]``, always the same way:

    candidates past the mildest limit → their recent rows (one query for them all)
    → the value graded → a recommendation for each group that passes a level

``ThresholdRule`` runs that pattern; ``PercentileRule`` (a p95) and ``RateRule`` (a share
or an average of the window's aggregates) fill in how candidates are chosen and measured.
A rule then says only what is its own: its metric, its groups, its samples and its words.

A window of up to 2 hours is measured on its raw steps, exactly. A longer one (the rule of
``PeriodStats``) takes its percentiles from the per-minute rollups, and reads raw rows
only for what a recommendation shows (example correlation IDs, a query's SQL and call
site), from the window's last 2 hours (``PeriodStats.sample_steps``): an example is then
one of the group's worst (or most recent) rows of those 2 hours, and a group with none
there is reported without examples.
"""

from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import F

from flowscope.analysis.period_stats import first_rows
from flowscope.analysis.recommendations.grading import grade, magnitude, score, trigger
from flowscope.analysis.recommendations.wording import EXAMPLES, distinct_examples
from flowscope.percentiles import percentile
from flowscope.thresholds import passes

CANDIDATES = 10  # groups per percentile rule whose percentiles are computed
EXAMPLE_ROWS = EXAMPLES * 4  # worst rows per group read for examples in a long window
NO_SPREAD = {"p50": None, "p95": None, "sample": 0}


class Words(NamedTuple):
    """What a recommendation says, in the order its dict shows it."""

    title: str
    explanation: str
    evidence: dict
    suggestion: str


@dataclass
class Finding:
    """A group a rule measured: its aggregate row, its recent rows, the graded value (and,
    for a percentile rule, the spread it came from)."""

    group: dict
    sample: list
    value: float
    spread: dict | None = None


class Rule:
    """A rule of the list ``recommend()`` runs; ``kind`` names its recommendations."""

    kind = ""

    def __call__(self, window):
        raise NotImplementedError

    def recommendation(self, severity, words, times_over, affected):
        return {
            "kind": self.kind,
            "severity": severity,
            **words._asdict(),
            "score": score(severity, times_over, affected),
        }


class ThresholdRule(Rule):
    """Groups graded by the levels of ``metric`` (``above``: higher is worse; a rule knows
    its direction, so the entry's own "above" is not read)."""

    metric = ""
    above = True
    key = "name"  # the field naming a group, in its aggregate row and its samples

    def __call__(self, window):
        levels = window.levels(self.metric)
        limit = trigger(levels, self.above)
        if limit is None:
            return []
        groups = self.candidates(window, limit)
        samples = self.samples(window, [group[self.key] for group in groups])
        found = []
        for group in groups:
            finding = self.measure(window, group, samples.get(group[self.key], []))
            severity = grade(finding.value, levels, self.above)
            if severity is not None:
                found.append(self.from_finding(finding, severity, limit))
        return found

    def from_finding(self, finding, severity, limit):
        return self.recommendation(
            severity,
            self.describe(finding),
            times_over=magnitude(finding.value, limit, self.above),
            affected=self.affected(finding),
        )

    # What a rule says of its own --------------------------------------------------------

    def groups(self, window):
        """The window's aggregate rows, one per group."""
        raise NotImplementedError

    def candidates(self, window, limit):
        """The groups worth measuring, given the mildest limit."""
        raise NotImplementedError

    def samples(self, window, keys):
        """``{key: [row, ...]}``: recent rows of the candidates, in one query (see
        ``recent_steps``)."""
        return {}

    def recent_steps(self, steps, keys, **fields):
        """The most recent of ``steps`` of each candidate, with their workflow's correlation
        ID (``cid``) and ``fields``."""
        return first_rows(steps, F(self.key), keys, cid=F("workflow__correlation_id"), **fields)

    def measure(self, window, group, sample):
        """The ``Finding`` of one candidate."""
        raise NotImplementedError

    def describe(self, finding):
        """The ``Words`` of a finding past a level."""
        raise NotImplementedError

    def affected(self, finding):
        """How much traffic the finding touches (weighs its score)."""
        raise NotImplementedError


class PercentileRule(ThresholdRule):
    """Groups whose p95 passes the threshold. The candidates are the ``CANDIDATES`` groups
    whose ``maximum`` passes the mildest limit (a p95 cannot pass a limit the maximum does
    not), highest ``rank`` first.

    Short window: each candidate's p95 comes from its most recent rows of the ``layer``'s
    steps, whose ``value`` field holds the metric. Long window: from the rollups' spread of
    ``spread_metric`` (``PeriodStats.spreads``), the candidates are only those whose p95
    passes too, and their rows are their ``EXAMPLE_ROWS`` worst (by ``worst``) of the
    window's last 2 hours, for examples only."""

    maximum = "max_ms"
    rank = "avg_ms"
    layer = "api"
    spread_metric = "response_time_ms"
    worst = "-duration_ms"

    def candidates(self, window, limit):
        passing = [
            group
            for group in self.groups(window)
            if group[self.maximum] is not None and passes(group[self.maximum], limit)
        ]
        if window.stats.from_rollups:
            spreads = self.spreads(window)
            passing = [
                group
                for group in passing
                if passes(spreads.get(group[self.key], NO_SPREAD)["p95"] or 0, limit)
            ]
        passing.sort(key=lambda group: -(group[self.rank] or 0))
        return passing[:CANDIDATES]

    def samples(self, window, keys):
        steps = window.stats.sample_steps(self.layer)
        if window.stats.from_rollups:
            return self.rows(steps, keys, per_group=EXAMPLE_ROWS, order_by=self.worst)
        return self.rows(steps, keys)

    def rows(self, steps, keys, **options):
        """``recent_steps`` of ``steps`` with the metric as ``value`` (and what else the
        rule's words show)."""
        raise NotImplementedError

    def spreads(self, window):
        return window.stats.spreads(self.layer, self.spread_metric)

    def measure(self, window, group, sample):
        if window.stats.from_rollups:
            spread = self.spreads(window).get(group[self.key], NO_SPREAD)
        else:
            spread = distribution(row["value"] for row in sample)
        return Finding(group, sample, spread["p95"] or 0, spread=spread)

    @staticmethod
    def worst_examples(finding):
        """Correlation IDs of the rows with the worst values first."""
        return distinct_examples(sorted(finding.sample, key=lambda row: -(row["value"] or 0)))


class RateRule(ThresholdRule):
    """Groups whose rate (a share, an average) passes the threshold, among those with at
    least the ``evidence`` minimum of observations (``RECOMMENDATION_MIN_EVIDENCE``)."""

    evidence = ""

    def observations(self, group):
        raise NotImplementedError

    def rate(self, group):
        raise NotImplementedError

    def candidates(self, window, limit):
        minimum = max(window.evidence[self.evidence], 1)  # no rate of nothing
        return [
            group
            for group in self.groups(window)
            if self.observations(group) >= minimum and passes(self.rate(group), limit, self.above)
        ]

    def measure(self, window, group, sample):
        return Finding(group, sample, self.rate(group))


def distribution(values):
    ordered = sorted(float(v) for v in values if v is not None)
    return {
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "sample": len(ordered),
    }
