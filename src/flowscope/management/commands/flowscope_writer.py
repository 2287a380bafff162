"""Write what serving processes append to the Redis stream (``FLOWSCOPE["TRANSPORT"]`` is
"redis") into the store. Run any number, on any machine that reaches Redis and the store:
each entry is written by one of them, and one that dies leaves its entries to the others.

SIGTERM or SIGINT: the batch in hand is written and acknowledged, the open rollup windows
are written, and the command exits 0. A line a minute is logged with the throughput.
"""

import logging
import os
import signal
import socket
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from flowscope.conf import flowscope_settings
from flowscope.recording.stream_consumer import StreamWriter

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Command(BaseCommand):
    help = "Write the records serving processes put on the Redis stream into the store."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=10, help="most stream entries written at once"
        )
        parser.add_argument(
            "--block-ms", type=int, default=1000, help="longest wait for new entries"
        )
        parser.add_argument(
            "--consumer",
            default=f"{socket.gethostname()}:{os.getpid()}",
            help="this writer's name in the consumer group (default: host:pid)",
        )

    def handle(self, *args, batch, block_ms, consumer, **options):
        if flowscope_settings.TRANSPORT != "redis":
            raise CommandError(
                'FLOWSCOPE["TRANSPORT"] is not "redis": serving processes write to the store '
                "themselves and nothing reaches the stream."
            )
        try:
            writer = StreamWriter(consumer, batch=batch, block_ms=block_ms)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        _log_to_stderr(options["verbosity"])
        for number in STOP_SIGNALS:
            signal.signal(number, lambda *_: writer.stop())
        writer.run()


def _log_to_stderr(verbosity):
    """The throughput lines, unless the host's LOGGING already handles flowscope's logs."""
    logger = logging.getLogger("flowscope.writer")
    if verbosity and not logging.getLogger("flowscope").handlers and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
