"""Whether the code running now serves a synthetic request: a manual test or workflow run
from the dashboard, not a customer.

Host code that talks to an outside service (a payment gateway, a mailer) asks
``flowscope.is_synthetic()`` first and simulates the call when it is true. The flag is a
``ContextVar``, so it follows the run into ``sync_to_async``, ``copy_context()`` and tasks,
and never leaks into another thread's or request's work. A run may carry marks of its own
(a replay names the workflow it replays), stored with the workflows it traces.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_synthetic: ContextVar[dict | None] = ContextVar("flowscope_synthetic", default=None)


def is_synthetic():
    """True while flowscope's manual testing runs the current request, else False."""
    return _synthetic.get() is not None


def synthetic_marks():
    """The marks of the synthetic run going on (``{"replay_of": ...}``), else ``{}``."""
    return dict(_synthetic.get() or {})


@contextmanager
def synthetic(**marks):
    """Mark what runs in this block (in this context) as synthetic, with ``marks``."""
    token = _synthetic.set(marks)
    try:
        yield
    finally:
        _synthetic.reset(token)
