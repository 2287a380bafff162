"""The local variables of an exception's frames, as text: taken when the exception is
recorded, since they are gone with the frame. Only on the error path.

Each value becomes a bounded ``repr`` at once, so nothing of the host's objects is held
after the capture: containers show their first items a few levels deep, long text is cut,
a ``repr`` that raises is named by its type, an unevaluated queryset is not run, a model
instance is its label and integer key (its ``__str__`` may run a query, or be a secret:
DRF's ``Token`` shows its key). Values
under secret-looking names are never turned into text at all. Scrubbing the rest (card
numbers inside a dict's ``repr``) waits for preparation, off the request path.
"""

import itertools
import reprlib

from django.db.models import Model
from django.db.models.query import QuerySet
from django.views.debug import SafeExceptionReporterFilter

from flowscope.conf import flowscope_settings
from flowscope.records.scrubbing import FILTERED, is_sensitive_key, text_head

MAX_ITEMS = 10  # of a container
MAX_LEVELS = 3  # of containers inside containers
ELLIPSIS = "…"


class BoundedRepr(reprlib.Repr):
    """``reprlib``'s bounded ``repr``, cut at the end only (a cut in the middle could split
    a card number into parts too short to be masked), in a mapping's or set's own order
    (``reprlib`` sorts all their keys first, however many) and without running a query."""

    def __init__(self, max_length):
        super().__init__()
        self.maxlevel = MAX_LEVELS
        self.maxstring = self.maxlong = self.maxother = max_length
        for kind in ("tuple", "list", "array", "dict", "set", "frozenset", "deque"):
            setattr(self, f"max{kind}", MAX_ITEMS)

    def repr(self, x):
        """At most ``maxother`` characters, however many items were shown."""
        return _capped(super().repr(x), self.maxother)

    def repr1(self, x, level):
        if isinstance(x, QuerySet) and x._result_cache is None:
            return f"<{type(x).__name__} of {x.model._meta.label}, not evaluated>"
        if isinstance(x, Model):
            return _model_text(x)
        if type(x) is tuple and len(x) == 2 and _secret_key(x[0]):  # an ASGI header, a pair
            return f"({self.repr1(x[0], level - 1)}, {FILTERED!r})"
        return super().repr1(x, level)

    def repr_str(self, x, level):
        if len(x) <= self.maxstring:
            return repr(x)
        return repr(text_head(x, self.maxstring)) + ELLIPSIS

    def repr_int(self, x, level):
        return self.repr_instance(x, level)  # an int of over 4300 digits raises

    def repr_instance(self, x, level):
        try:
            text = repr(x)
        except Exception:
            return f"<unrepresentable {type(x).__name__}>"
        return _capped(text, self.maxother)

    def repr_bytes(self, x, level):
        return repr(x) if len(x) <= self.maxstring else repr(x[: self.maxstring]) + ELLIPSIS

    def repr_dict(self, x, level):
        pairs = (
            f"{self.repr1(k, level - 1)}: "
            + (repr(FILTERED) if _secret_key(k) else self.repr1(v, level - 1))
            for k, v in x.items()
        )
        return self._joined(pairs, len(x), level, "{", "}")

    def repr_set(self, x, level):
        return self._set_items(x, level) if x else "set()"

    def repr_frozenset(self, x, level):
        return f"frozenset({self._set_items(x, level) if x else ''})"

    def _set_items(self, x, level):
        return self._joined((self.repr1(i, level - 1) for i in x), len(x), level, "{", "}")

    @staticmethod
    def _joined(shown, size, level, left, right):
        """The first MAX_ITEMS of ``shown`` (made only as they are taken), then "…"."""
        if not size:
            return left + right
        if level <= 0:
            return f"{left}{ELLIPSIS}{right}"
        parts = list(itertools.islice(shown, MAX_ITEMS))
        if size > MAX_ITEMS:
            parts.append(ELLIPSIS)
        return left + ", ".join(parts) + right


def _model_text(instance):
    pk = instance.pk  # a key that is not a number may be the secret itself
    return (
        f"<{instance._meta.label} pk={pk}>" if isinstance(pk, int) else f"<{instance._meta.label}>"
    )


def _capped(text, limit):
    return text if len(text) <= limit else text_head(text, limit) + ELLIPSIS


class _MarkedSensitive(SafeExceptionReporterFilter):
    """Django's own reading of ``@sensitive_variables`` (on the frame's function or one of
    its callers), whatever DEBUG says: Django shows them in its debug page, never here."""

    def is_active(self, request):
        return True


_MARKED = _MarkedSensitive()


def snapshot(frame):
    """``(locals, more)``: up to ``LOCALS_MAX_VARIABLES`` of ``frame``'s locals as text, in the
    order the function defines them, and how many more there were."""
    limit = flowscope_settings.LOCALS_MAX_VARIABLES
    items = _MARKED.get_traceback_frame_variables(None, frame)
    shown = itertools.islice(items, limit)
    bounded = BoundedRepr(flowscope_settings.LOCALS_MAX_LENGTH)
    values = {str(name): _text(name, value, bounded) for name, value in shown}
    return values, max(len(items) - limit, 0)


def _secret_key(key):
    """Whether a dict key or a pair's first item names a secret (``b"authorization"`` too)."""
    if isinstance(key, bytes | bytearray):
        key = bytes(key[:100]).decode("latin-1")
    return isinstance(key, str) and is_sensitive_key(key)


# Names of locals that hold credentials without saying so (requests' ``auth=(user, pw)``);
# as keys elsewhere they are too common to mask ("auth_user" is a table).
SECRET_LOCALS = frozenset({"auth", "http_auth", "basic_auth", "creds"})


def _text(name, value, bounded):
    name = str(name)
    if value is _MARKED.cleansed_substitute or name in SECRET_LOCALS or is_sensitive_key(name):
        return FILTERED
    try:
        return bounded.repr(value)
    except Exception:  # reprlib guards its own calls, not every one (a broken __len__)
        return f"<unrepresentable {type(value).__name__}>"
