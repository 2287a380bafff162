"""Everything a run writes is rolled back: one transaction on every database alias, opened
by the run's worker thread before its first request and rolled back after its last.

The run's requests are served one after another in that thread, so a later step sees what
an earlier one wrote (a login's token, a cart line) and nothing of it outlives the run.
The project's own ``transaction.atomic()`` blocks become savepoints inside it, and its
``on_commit`` callbacks never run. Flowscope's recorder writes the run's traces on
connections of its own thread, so they are kept.
"""

from contextlib import ExitStack, contextmanager

from django.db import connections, transaction


@contextmanager
def rolled_back():
    """Open a transaction on every database; roll all of them back when the block ends."""
    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(transaction.atomic(using=alias))
            stack.enter_context(_kept_open(connections[alias]))
        try:
            yield
        finally:
            for alias in connections:
                transaction.set_rollback(True, using=alias)


@contextmanager
def _kept_open(connection):
    """Django closes a connection that is not in autocommit mode (or has reached its
    ``CONN_MAX_AGE``) when a request starts and ends; closing it here would end the run's
    transaction. This thread's connection object only: others keep Django's rule."""
    connection.close_if_unusable_or_obsolete = _keep
    try:
        yield
    finally:
        del connection.close_if_unusable_or_obsolete


def _keep():
    pass
