"""The example's settings with a stream of the benchmark round's own
(``BENCH_STREAM_KEY``): ``stream_scaleout.py``'s servers and writers. The transport and the
stream's Redis are the example's (``FLOWSCOPE_TRANSPORT``, ``FLOWSCOPE_STREAM_URL``).
"""

import os

from ecommerce_project.settings import *  # noqa: F403

FLOWSCOPE = {**FLOWSCOPE, "STREAM_KEY": os.environ["BENCH_STREAM_KEY"]}  # noqa: F405
