"""Optimization recommendations: rules over the steps and workflows stored in a time window.

``recommend()`` (``runner``) runs every rule of ``RULES`` and returns the most important
first. A rule is a small class (``base``): most follow the threshold pattern and say only
their metric, their groups, their samples and their words (``queries``, ``routes``,
``cache``, ``workflows``); ``n_plus_one`` reads what capture flagged. A new rule is one
class and one line in ``RULES``.

Thresholds: ``FLOWSCOPE["THRESHOLDS"]`` (``flowscope.thresholds`` merges its defaults, the
settings and a dashboard configuration's); the fewest observations a rate needs:
``FLOWSCOPE["RECOMMENDATION_MIN_EVIDENCE"]``.

Cost is bounded whatever the table size. The rules read the window's shared aggregates
(``PeriodStats``: per route, per query, per cache alias; one scan each, shared with the
performance report when it passes its own). In a window of up to 2 hours, percentiles,
which SQLite cannot compute, come from the most recent ``SAMPLE_SIZE`` values of at most
``CANDIDATES`` groups per rule, read in one query. A longer window takes them from the
per-minute rollups, read with the aggregates, and the queries marked * read only the
window's last 2 hours, for examples (``base``). ``recommend()`` runs at most
``MAX_QUERIES`` (10) queries; those marked * run only when a rule has candidates:

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
"""

from flowscope.analysis.recommendations.runner import RULES, recommend

MAX_QUERIES = 10

__all__ = ["MAX_QUERIES", "RULES", "recommend"]
