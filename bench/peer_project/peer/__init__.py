"""A tiny plain Django project that flowscope never shaped: the workload of
``bench/capture_peer.py``, served bare, with flowscope, or with OpenTelemetry."""
