"""What every rule shares, and the threshold pattern most rules follow.

A rule is a callable of a ``Window`` returning recommendations (plain, JSON-serialisable
dicts). Most rules grade groups (routes, queries, cache aliases, workflow types) by a
threshold of ``FLOWSCOPE["THRESHOLDS"]``, always the same way:

    candidates past the mildest limit → their recent rows (one query for them all)
    → the value graded → a recommendation for each group that passes a level

``ThresholdRule`` runs that pattern; ``PercentileRule`` (a p95 over recent rows) and
``RateRule`` (a share or an average of the window's aggregates) fill in how candidates are
chosen and measured. A rule then says only what is its own: its metric, its groups, its
samples and its words.
"""

from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import F

from flowscope.analysis.period_stats import first_rows
from flowscope.analysis.recommendations.grading import grade, magnitude, score, trigger
from flowscope.analysis.recommendations.wording import distinct_examples
from flowscope.percentiles import percentile
from flowscope.thresholds import passes

CANDIDATES = 10  # groups per percentile rule whose percentiles are computed


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
            finding = self.measure(group, samples.get(group[self.key], []))
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

    def measure(self, group, sample):
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
    not), highest ``rank`` first; each one's p95 comes from its most recent rows, whose
    ``value`` field holds the metric."""

    maximum = "max_ms"
    rank = "avg_ms"

    def candidates(self, window, limit):
        passing = [
            group
            for group in self.groups(window)
            if group[self.maximum] is not None and passes(group[self.maximum], limit)
        ]
        passing.sort(key=lambda group: -(group[self.rank] or 0))
        return passing[:CANDIDATES]

    def measure(self, group, sample):
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

    def measure(self, group, sample):
        return Finding(group, sample, self.rate(group))


def distribution(values):
    ordered = sorted(float(v) for v in values if v is not None)
    return {
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "sample": len(ordered),
    }
