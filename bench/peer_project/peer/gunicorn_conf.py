"""gunicorn hooks: with ``PEER_VARIANT=otel`` the worker is instrumented after the fork (the
batch processor's thread does not survive a fork) and flushes its spans when it exits."""

import os


def post_fork(server, worker):
    if os.environ.get("PEER_VARIANT") == "otel":
        from peer import otel

        otel.start()


def worker_exit(server, worker):
    if os.environ.get("PEER_VARIANT") == "otel":
        from peer import otel

        otel.stop()
