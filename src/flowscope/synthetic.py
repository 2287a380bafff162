"""Whether the code running now serves a synthetic request: a manual test or workflow run
from the dashboard, not a customer.

Host code that talks to an outside service (a payment gateway, a mailer) asks
``flowscope.is_synthetic()`` first and simulates the call when it is true. The flag is a
``ContextVar``, so it follows the run into ``sync_to_async``, ``copy_context()`` and tasks,
and never leaks into another thread's or request's work.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_synthetic: ContextVar[bool] = ContextVar("flowscope_synthetic", default=False)


def is_synthetic():
    """True while flowscope's manual testing runs the current request, else False."""
    return _synthetic.get()


@contextmanager
def synthetic():
    """Mark what runs in this block (in this context) as synthetic."""
    token = _synthetic.set(True)
    try:
        yield
    finally:
        _synthetic.reset(token)
