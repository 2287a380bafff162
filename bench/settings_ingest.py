"""The example's settings with the ingest rate limit raised: ``ingest_throughput.py``'s server.

``INGEST_RATE`` (default 6000/min per key) would throttle the benchmark's single key long
before the server is busy; everything else, the ingest key included
(``FLOWSCOPE_INGEST_KEY``), is the example's. ``FLOWSCOPE_BENCH_SETTINGS`` (JSON) may set
more flowscope settings, to compare recorder settings (``--flowscope BATCH_SIZE=500``).
"""

import json
import os

from ecommerce_project.settings import *  # noqa: F403

FLOWSCOPE = {
    **FLOWSCOPE,  # noqa: F405
    "INGEST_RATE": "1000000/min",
    **json.loads(os.environ.get("FLOWSCOPE_BENCH_SETTINGS", "{}")),
}
