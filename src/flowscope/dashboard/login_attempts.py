"""Failed sign-ins on flowscope's login page, counted per client address in Django's cache
with DRF's throttle window: past ``LOGIN_FAILURE_RATE`` the page stops checking passwords
from that address (429) until the oldest failure leaves the window, so the dashboard's
login cannot be used to guess them. Processes sharing a cache (Redis) share the count."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from flowscope.conf import flowscope_settings


class FailedLogins(SimpleRateThrottle):
    scope = "flowscope_login"

    def __init__(self, request):
        super().__init__()
        self.key = self.cache_format % {"scope": self.scope, "ident": self._address(request)}

    def _address(self, request):
        """The client's address: X-Forwarded-For only when DRF's NUM_PROXIES says how many
        proxies set it (else a guesser could send a new one each time)."""
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR", "")
        return self.get_ident(request)

    def get_rate(self):
        return flowscope_settings.LOGIN_FAILURE_RATE

    def seconds_locked(self):
        """How long this address must wait before it may try again; 0: it may now."""
        if self.rate is None:
            return 0
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        return 0 if len(self.history) < self.num_requests else self.wait()

    def count(self):
        """One more failure from this address."""
        if self.rate is not None and not self.seconds_locked():
            self.throttle_success()
