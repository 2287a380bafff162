"""Recording: how records reach the store off the request path. ``recorder`` ties a
``worker`` (queue and thread) to a ``write_policy`` (transactions, retries) over the
``writer`` (rows in bulk), the ``jobs`` run beside the writes (rollups, process metrics, the
idle-workflow sweep) and the sinks that hear each commit (live events)."""
