"""The read model: every query of what flowscope recorded, by domain. The REST API, the
WebSockets, the reports and the page read the store only through these modules.

- ``windows``: the time window and thresholds of a user's dashboard.
- ``snapshot``: the dashboard overview, JSON-ready, shared by ``dashboard-data/`` and the
  dashboard socket; ``overview`` and ``health`` compute it.
- ``changes``: what changed since a moment (``realtime_updates``).
- ``workflows``, ``errors`` (and ``error_groups``), ``steps``, ``performance``: the
  records of each kind, one by one or over a period.
- ``timing``, ``compare``: where one workflow's time went, and how it differs from another.
- ``period_stats``, ``recommendations``: a period's aggregates and the advice read from them.
"""
