"""Diagnostic only: the example's settings with flowscope sampling nothing.

Every request still gets its API step, headers and rollups, but no database or cache steps
and no rows: run ``capture_overhead.py --on-settings bench.settings_unsampled`` to see how
much of the overhead is the fixed per-request cost. Not the benchmark's ON side.
"""

from ecommerce_project.settings import *  # noqa: F403

FLOWSCOPE = {**FLOWSCOPE, "SAMPLE_RATE": 0.0}  # noqa: F405
