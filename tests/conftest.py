"""Fixtures shared by the whole suite, and the rule for tests that need real services.

A test marked ``redis`` skips when Redis is not configured (``REDIS_URL``); one marked
``postgres``, ``mysql`` or ``database_server`` skips unless the configured database
(``DATABASE_URL``) is of its kind. With ``FLOWSCOPE_REQUIRE_SERVICES=1`` (as CI sets it for
its runs on PostgreSQL and on MariaDB, both with Redis) a missing service fails instead, and
so does a database test left on SQLite, so a CI run can never pass by skipping what it was
meant to test; a PostgreSQL test still skips on MariaDB and the other way round.
"""

import os

import pytest
from django.core.cache import cache
from django.db import connection

from flowscope.analysis.snapshot import forget_snapshots
from flowscope.testing import capture_traces, use_recorder
from tests.browser import CHROMIUM, require

pytest_plugins = ["tests.shop_data"]


def require_service(name, configured):
    if configured:
        return
    message = f"{name} is not configured for this run"
    if os.environ.get("FLOWSCOPE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}, and FLOWSCOPE_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(message)


# marker -> (what it needs, the Django vendors that have it)
DATABASE_MARKERS = {
    "postgres": ("PostgreSQL", {"postgresql"}),
    "mysql": ("MySQL/MariaDB", {"mysql"}),
    "database_server": ("PostgreSQL or MySQL/MariaDB", {"postgresql", "mysql"}),
}


def require_database(name, vendors):
    if connection.vendor in vendors:
        return
    if connection.vendor == "sqlite":
        require_service(name, False)
    pytest.skip(f"{name} is needed; this run is on {connection.display_name}")


def pytest_runtest_setup(item):
    for marker, (name, vendors) in DATABASE_MARKERS.items():
        if item.get_closest_marker(marker):
            require_database(name, vendors)
    if item.get_closest_marker("redis"):
        require_service("Redis", bool(os.environ.get("REDIS_URL")))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (on Redis too, where it would outlive the run)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing a password properly takes ~0.2 s on purpose; tests don't need that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _loud_flowscope(settings):
    """A bug in flowscope's capture fails the test instead of being logged and counted."""
    settings.FLOWSCOPE = {
        **settings.FLOWSCOPE,
        "RAISE_INTERNAL_ERRORS": True,
        "PROCESS_METRICS_INTERVAL": 0,
        # With REDIS_URL the example sends records to a stream for writer processes; the
        # suite's recorders write in-process unless a test opts in.
        "TRANSPORT": "thread",
    }


@pytest.fixture(autouse=True)
def _health_sent_on_changes_only(settings):
    """A dashboard socket hears system_health only when a status changes, not every 10 s
    as well: a slow test reading a socket's messages in order never finds one in between."""
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REALTIME_HEALTH_INTERVAL": 3600}


@pytest.fixture(autouse=True)
def _traces_in_memory(request):
    """Traces stay in memory unless a test asks for the real recorder: a background writer
    must not write into other tests' databases."""
    if "real_recorder" in request.fixturenames:
        yield
        return
    with capture_traces():
        yield


@pytest.fixture
def real_recorder(transactional_db):
    """A real recorder (queue and writer thread) for this test, shut down after it."""
    with use_recorder() as recorder:
        yield recorder


@pytest.fixture(autouse=True)
def _no_kept_snapshots():
    """A dashboard snapshot kept for reuse never carries one test's data into the next."""
    forget_snapshots()
    yield
    forget_snapshots()


@pytest.fixture
def playwright_api():
    """Playwright's sync API, with Debian's Chromium there to drive."""
    require(f"Chromium at {CHROMIUM}", CHROMIUM.exists())
    try:
        from playwright import sync_api
    except ImportError:  # pragma: no cover - depends on the environment
        require("The playwright package", False)
    # An assertion waits as long as a page action may (tests/browser.py), not Playwright's
    # 5 s: on a loaded machine a live update can take longer to arrive.
    sync_api.expect.set_options(timeout=15_000)
    return sync_api
