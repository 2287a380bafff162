"""gunicorn hooks: with ``PEER_VARIANT=otel`` the worker is instrumented after the fork (the
batch processor's thread does not survive a fork) and flushes its spans when it exits.

``PEER_PROFILE=FILE`` (any variant, needs ``pip install yappi``): the worker is profiled,
every thread, CPU clock, from the fork until it exits; ``FILE`` gets the pstats.
"""

import os


def post_fork(server, worker):
    if os.environ.get("PEER_VARIANT") == "otel":
        from peer import otel

        otel.start()
    if os.environ.get("PEER_PROFILE"):
        import yappi

        yappi.set_clock_type("cpu")
        yappi.start(builtins=True)


def worker_exit(server, worker):
    if os.environ.get("PEER_VARIANT") == "otel":
        from peer import otel

        otel.stop()
    if os.environ.get("PEER_PROFILE"):
        import yappi

        yappi.stop()
        yappi.get_func_stats().save(os.environ["PEER_PROFILE"], type="pstat")
