"""The example project with a recorder that writes nothing until it is told to stop, and
then has little time: for the test of what a SIGTERM does to queued traces."""

import os

from ecommerce_project.settings import *  # noqa: F403
from ecommerce_project.settings import FLOWSCOPE

FLOWSCOPE = {
    **FLOWSCOPE,
    "FLUSH_INTERVAL": 600,
    "BATCH_SIZE": 50_000,
    "QUEUE_SIZE": 100_000,
    "SHUTDOWN_TIMEOUT": float(os.environ.get("TEST_SHUTDOWN_TIMEOUT", "0.1")),
    "SPOOL_DIR": os.environ["TEST_SPOOL_DIR"],
}
