"""How often manual tests may run: ``MANUAL_TESTING_RATE`` per user, and no run at all
while every slot of the run pool is taken; no report made or exported while every slot of
``REPORTS_MAX_CONCURRENT`` is; EXPLAINs ``EXPLAIN_RATE`` per user. Each answers 429 with
``Retry-After``."""

from rest_framework.exceptions import Throttled
from rest_framework.throttling import UserRateThrottle

from flowscope.conf import flowscope_settings

POOL_RETRY_AFTER_SECONDS = 1  # runs take seconds at most, bar the timed-out ones
REPORT_RETRY_AFTER_SECONDS = 2  # the longest report (31 days, a million steps) takes about 2 s


class ManualRunThrottle(UserRateThrottle):
    """Counted per user (per address for anonymous callers, where the permissions let
    them in) in Django's cache, so processes sharing a Redis cache share the count."""

    scope = "flowscope_manual_testing"

    def get_rate(self):
        return flowscope_settings.MANUAL_TESTING_RATE


class ManualRunThrottledMixin:
    """For views with actions throttled by ``ManualRunThrottle``: a refusal names it."""

    def throttled(self, request, wait):
        rate = flowscope_settings.MANUAL_TESTING_RATE
        raise Throttled(wait, f"At most {rate} manual test runs a user (MANUAL_TESTING_RATE).")


class RunPoolFull(Throttled):
    default_code = "run_pool_full"

    def __init__(self, reason):
        super().__init__(POOL_RETRY_AFTER_SECONDS, f"{reason} Try again shortly.")


class ReportPoolFull(Throttled):
    default_code = "report_pool_full"

    def __init__(self, limit):
        super().__init__(
            REPORT_RETRY_AFTER_SECONDS,
            f"{limit} reports are being made or exported (REPORTS_MAX_CONCURRENT). "
            "Try again shortly.",
        )


class ExplainThrottle(UserRateThrottle):
    """EXPLAINs of stored queries per user (``EXPLAIN_RATE``): each runs on the host's
    database, so a script cannot hammer it from the dashboard."""

    scope = "flowscope_explain"

    def get_rate(self):
        return flowscope_settings.EXPLAIN_RATE
