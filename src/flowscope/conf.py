"""Flowscope's settings: one ``FLOWSCOPE`` dict in the host's settings, merged over defaults.

Read everything through ``flowscope_settings.NAME``. Values are looked up lazily and the
cache is dropped on ``setting_changed``, so ``override_settings(FLOWSCOPE=...)`` works in
tests. Every option, its default and what it does are listed in ``DEFAULTS`` below and in
``docs/configuration.md``.
"""

import os

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS = {
    # Master switch: False turns every capture hook into a no-op.
    "ENABLED": True,
    # The release of the running code (a version or commit), tagged on every workflow this
    # process captures for release comparison; default: $FLOWSCOPE_RELEASE, else untagged.
    "RELEASE": os.environ.get("FLOWSCOPE_RELEASE", "")[:64],
    # Where the dashboard's links to Flowscope's documentation lead: the URL of its docs/
    # folder, ending in "/" (None: the page names the file, docs/funnel.md say, unlinked).
    "DOCS_URL": None,
    # Share of workflows (0..1) whose steps are stored, decided per correlation ID.
    # Errors are always stored, and every request counts in the performance rollups.
    "SAMPLE_RATE": 1.0,
    # Path prefixes never traced, on top of flowscope's own API, page, ingest and STATIC_URL.
    "IGNORE_PATHS": [],
    # Path prefixes of flowscope's own (never traced) beyond where flowscope.urls is
    # mounted, which is found in the URLconf: only for a mount it cannot find there.
    "INTERNAL_PATHS": [],
    # Workflow types by route: {name: {"routes": ["POST /api/v1/x/"], "complete_on": [...]}}.
    # A request matching "routes" gives an untyped workflow its type; a 2xx on a
    # "complete_on" route completes it, and a 4xx/5xx there fails it.
    "WORKFLOWS": {},
    # Idle time after which an in-progress workflow is marked timed_out.
    "WORKFLOW_TIMEOUT_SECONDS": 1800,
    # The same normalized SQL run this many times in one request is flagged as N+1.
    "N_PLUS_ONE_THRESHOLD": 5,
    # Store each query's parameters beside its SQL (scrubbed: by column name where the SQL
    # names it, by value through the scrubber) and a SELECT's statement, for EXPLAIN.
    "CAPTURE_SQL_PARAMS": True,
    # Parameters stored per query (more are counted, not stored), and characters per value
    # (a longer one is stored cut).
    "SQL_PARAMS_MAX_COUNT": 50,
    "SQL_PARAM_MAX_LENGTH": 200,
    # EXPLAIN of a stored SELECT from the dashboard: the longest it may run (ms), and how
    # often a user may ask, as a DRF throttle rate ("30/min"); beyond it: 429.
    "EXPLAIN_TIMEOUT_MS": 2000,
    "EXPLAIN_RATE": "30/min",
    # Steps kept per request; more are counted in the API step's metadata, not stored.
    "MAX_STEPS_PER_REQUEST": 500,
    # Extra key names whose values are masked everywhere (headers, bodies, logs, ...).
    "SCRUB_KEYS": [],
    # Request/response bodies larger than this (after scrubbing) are stored truncated.
    "MAX_BODY_BYTES": 8192,
    # JSON nested deeper than this is stored as a "[too deep]" marker.
    "MAX_BODY_DEPTH": 20,
    # Any other captured text (a step's metadata value, a log or exception message) longer
    # than this many characters is stored cut, ending "…[N more characters]".
    "MAX_TEXT_LENGTH": 10000,
    # Store response bodies: "errors" (status >= 400), "all" or "none".
    "CAPTURE_RESPONSE_BODIES": "errors",
    # Store the local variables of an exception's in-app frames (as scrubbed text): of the
    # innermost LOCALS_MAX_FRAMES frames, at most LOCALS_MAX_VARIABLES a frame, each value's
    # repr cut at LOCALS_MAX_LENGTH characters. Taken only when an exception is recorded.
    "CAPTURE_LOCALS": True,
    "LOCALS_MAX_FRAMES": 10,
    "LOCALS_MAX_VARIABLES": 30,
    "LOCALS_MAX_LENGTH": 300,
    # Source lines stored before and after each frame's line of an exception's stack.
    "SOURCE_CONTEXT_LINES": 5,
    # Log records at this level and above become errors of the current workflow.
    "LOG_LEVEL": "WARNING",
    # Loggers whose records are not captured (flowscope records these events itself).
    "IGNORE_LOGGERS": ["django.request", "django.server", "flowscope", "celery.app.trace"],
    # Recorder: queue bound (beyond it requests are dropped and counted, never blocked),
    # batch size and the longest a finished request waits before it is written.
    "QUEUE_SIZE": 10000,
    "BATCH_SIZE": 200,
    "FLUSH_INTERVAL": 0.2,
    # Retries of a failing batch (with exponential backoff) before it is dropped.
    "WRITE_RETRIES": 3,
    # Seconds the recorder spends writing what it holds when the process stops; keep it
    # below the server's graceful timeout. What is left is spooled to SPOOL_DIR and written
    # at the next start.
    "SHUTDOWN_TIMEOUT": 5.0,
    # Folder of the shutdown spool; None: one in the system's temporary folder named after
    # the store (set it to a persistent folder where /tmp is wiped at reboot).
    "SPOOL_DIR": None,
    # How records leave a serving process: "thread" (a writer thread in the process writes
    # them to the store) or "redis" (appended to a Redis stream; `manage.py flowscope_writer`
    # processes, any number on any machine, write them). Needs the redis extra.
    "TRANSPORT": "thread",
    # The Redis of the stream (a redis:// URL); required with TRANSPORT "redis". Flowscope
    # reads no environment variable for it: pass your own (e.g. os.environ["REDIS_URL"]).
    "STREAM_URL": None,
    "STREAM_KEY": "flowscope:records",
    # Entries (one a batch) waiting in the stream beyond which batches are dropped and
    # counted ("stream_full") instead of filling Redis's memory while writers are behind.
    "STREAM_MAX_LENGTH": 100_000,
    # The consumer group the writers share; each entry is written by one of them.
    "STREAM_GROUP": "flowscope-writers",
    # Entries a writer took but has not acknowledged for this long (it crashed) are taken
    # over by another writer.
    "STREAM_CLAIM_AFTER_SECONDS": 30,
    # Seconds between process metric samples (CPU, memory, threads); 0 turns them off.
    "PROCESS_METRICS_INTERVAL": 30,
    # Levels per metric that turn a rollup into an alert and grade recommendations; an entry
    # given here replaces only the levels it names. "above": higher is worse; "info": a hint.
    "THRESHOLDS": {
        "response_time_ms": {"warning": 500, "critical": 2000, "above": True},
        "error_rate": {"warning": 0.05, "critical": 0.2, "above": True},
        "query_count": {"warning": 20, "critical": 50, "above": True},
        "cache_hit_ratio": {"warning": 0.5, "critical": 0.2, "above": False},
        "slow_query_ms": {"warning": 100, "critical": 1000, "above": True},
        "response_size_bytes": {"warning": 500 * 1024, "critical": 5 * 1024 * 1024, "above": True},
        "requests_per_workflow": {"info": 20, "warning": 50, "above": True},
    },
    # Fewest observations a recommendation needs before it judges a rate or an average.
    "RECOMMENDATION_MIN_EVIDENCE": {"cache_lookups": 20, "route_requests": 10, "workflows": 3},
    # Who may use the dashboard API, sockets and page: DRF permission classes (dotted paths).
    "PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    # How dashboard clients authenticate; None: session, plus token when
    # rest_framework.authtoken is installed.
    "AUTHENTICATION_CLASSES": None,
    # Where the dashboard page sends whoever must sign in: a URL or URL name (a single
    # sign-on's); None: flowscope's own login page, login/ under the mount.
    "LOGIN_URL": None,
    # Failed sign-ins one address may make on flowscope's login page (DRF rate syntax);
    # past it the page answers 429 until the window moves on. None: no limit.
    "LOGIN_FAILURE_RATE": "10/hour",
    # Page size of the dashboard API's lists, and the most a client may ask for.
    "PAGE_SIZE": 50,
    "MAX_PAGE_SIZE": 200,
    # How far back realtime_updates?since= may reach; older is clamped (and says so).
    "REALTIME_MAX_LOOKBACK_SECONDS": 3600,
    # Whether the dashboard page opens WebSockets. None: when the page is served over ASGI
    # (under WSGI, runserver or gunicorn, it polls the API instead); True where another
    # server serves the sockets beside a WSGI one; False: always poll.
    "WEBSOCKETS": None,
    # Seconds between system_health messages on the dashboard WebSocket (sooner when a
    # layer's status changes), and between checks that a socket's user is still staff.
    "REALTIME_HEALTH_INTERVAL": 10,
    "REALTIME_AUTH_RECHECK_SECONDS": 60,
    # Seconds between checks that the channel layer still holds this process's groups
    # (a Redis that came back empty); after a loss every socket joins its groups again.
    "REALTIME_LAYER_CHECK_SECONDS": 5,
    # Keys that see the health endpoint's details without the database
    # (X-Flowscope-Health-Key), so that its counters can be read while the store is down.
    "HEALTH_KEYS": [],
    # Keys accepted by the ingest endpoints (X-Flowscope-Key); none: ingest is closed.
    "INGEST_KEYS": [],
    # Origins allowed to send events besides the API's own ("*" for any): others are
    # refused (403); these also get CORS answers. Requests without Origin are not affected.
    "INGEST_ORIGINS": [],
    # Largest ingest body (bytes, after gzip inflation) and most browser events a request.
    "INGEST_MAX_BYTES": 262144,
    "INGEST_MAX_EVENTS": 500,
    # Events or span batches per key, as a DRF throttle rate ("6000/min", "100/s").
    "INGEST_RATE": "6000/min",
    # Raise errors of flowscope's own capture code instead of logging them (for tests).
    "RAISE_INTERNAL_ERRORS": False,
    # Capture hooks installed at startup (Collector classes, import strings); no others are.
    "COLLECTORS": [
        "flowscope.capture.database.DatabaseCollector",
        "flowscope.capture.cache.CacheCollector",
        "flowscope.capture.errors.ExceptionCollector",
        "flowscope.capture.errors.LogCollector",
        "flowscope.capture.steps.StepCollector",
        "flowscope.capture.celery.CeleryCollector",
        # Outbound HTTP calls, one collector per library (one not installed is skipped).
        "flowscope.capture.outbound.requests.RequestsCollector",
        "flowscope.capture.outbound.httpx.HttpxCollector",
        "flowscope.capture.outbound.urllib3.Urllib3Collector",
    ],
    # Age after which flowscope_prune deletes stored data (e.g. "7d", "12h").
    "RETENTION": "7d",
    # Workflows the dashboard can run by hand: {name: {"params": {...}, "steps": [...]}}, or
    # the path of a JSON file holding such a dict (format: docs/configuration.md).
    "WORKFLOW_DEFINITIONS": {},
    # Largest body (bytes, once encoded) and most headers a manual test may send.
    "MANUAL_TESTING_MAX_PAYLOAD_BYTES": 65536,
    "MANUAL_TESTING_MAX_HEADERS": 50,
    # More headers a manual test may not send (400), on top of those a proxy sets (the
    # X-Forwarded-* family, Remote-User, X-Forwarded-User...; see docs/configuration.md):
    # name each header your own proxy sets and your code trusts.
    "MANUAL_TESTING_REFUSED_HEADERS": [],
    # Longest (ms) a tested request may take, and the most a test's timeout_ms may ask for.
    "MANUAL_TESTING_TIMEOUT_MS": 10000,
    # Response bodies longer than this (bytes) are shown and stored truncated, saying so.
    "MANUAL_TESTING_MAX_RESPONSE_BYTES": 65536,
    # Runs (an endpoint test, or a whole workflow) going on at once per process; one whose
    # request timed out counts until that request ends. Beyond it: 429.
    "MANUAL_TESTING_MAX_CONCURRENT": 4,
    # Runs a user may start (test_endpoint, test_workflow, a re-run), as a DRF throttle
    # rate ("30/min"); None: no limit. Beyond it: 429.
    "MANUAL_TESTING_RATE": "30/min",
    # The test identity a replay runs as: values for what the scrubber masked, by field or
    # header name ({"password": "...", "authorization": "Token {token}"}); "{name}" is a
    # field of an earlier answer of the replay. Values sent with a replay win.
    "REPLAY_VALUES": {},
    # Reports generated or exported at once per process (each holds a server thread for up
    # to seconds over a long period); beyond it: 429, so reports never starve the host.
    "REPORTS_MAX_CONCURRENT": 2,
    # Business invariants per workflow type, checked once on each workflow that completes
    # or fails, off the request path: {type: [rule, ...]}. Rules: docs/invariants.md.
    "INVARIANTS": {},
    # Latency budgets per workflow type: the p95 (ms) its workflows may take in all, in
    # each layer and in the steps of a name ({type: {"total_ms": 800, "layers": {"api":
    # 250}, "steps": {"payment_gateway.charge": 300}}}); none by default.
    # Shown as budget used, alerted on by "latency_budget" rules. Format: docs/budgets.md.
    "BUDGETS": {},
    # The drop-off funnel's steps: workflow types a journey goes through, in order, e.g.
    # ["login", "checkout"]; none by default (the page says how to declare them). A
    # journey reaches a step when a workflow of its type completed. See docs/funnel.md.
    "FUNNEL": [],
    # Alert rules, evaluated after each committed batch (never on the request path); []
    # turns alerting off. Kinds and their fields: docs/configuration.md, "Alerts".
    "ALERT_RULES": [
        {"name": "slow-routes", "kind": "p95", "metric": "response_time_ms", "above": 2000},
        {"name": "failing-routes", "kind": "error_rate", "above": 0.2, "min_count": 20},
        {"name": "new-errors", "kind": "new_error_group"},
        {"name": "failing-workflows", "kind": "workflow_failure_rate", "above": 0.2},
        {"name": "over-budget", "kind": "latency_budget"},
    ],
    # A rule firing again for the same route, error group or workflow type within this many
    # seconds is counted on its history row, not sent again (in every process together).
    "ALERT_COOLDOWN_SECONDS": 900,
    # Where alerts are sent: e-mail addresses (through Django's EMAIL_BACKEND, from
    # ALERT_EMAIL_FROM or DEFAULT_FROM_EMAIL) and webhook URLs (Slack-compatible JSON).
    "ALERT_EMAILS": [],
    "ALERT_EMAIL_FROM": None,
    "ALERT_WEBHOOKS": [],
    # Seconds a webhook may take to answer, and retries of a failed delivery before it is
    # counted as failed and logged.
    "ALERT_WEBHOOK_TIMEOUT": 5.0,
    "ALERT_DELIVERY_RETRIES": 2,
    # Alerts waiting to be sent beyond which new ones are recorded but not sent (counted).
    "ALERT_QUEUE_SIZE": 100,
}


class FlowscopeSettings:
    """Attribute access to the merged settings; unknown names raise ``AttributeError``."""

    def __init__(self, defaults=None):
        self.defaults = DEFAULTS if defaults is None else defaults
        self._cache = {}

    @property
    def user_settings(self):
        return getattr(settings, "FLOWSCOPE", {}) or {}

    def __getattr__(self, name):
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"Unknown flowscope setting: {name!r}")
        value = self.user_settings.get(name, self.defaults[name])
        # Kept as an instance attribute: the next read does not come here at all (the hot
        # path reads settings on every request and query).
        setattr(self, name, value)
        self._cache[name] = value
        return value

    def unknown_keys(self):
        """Keys of the user's ``FLOWSCOPE`` dict that flowscope does not know (typos)."""
        return sorted(set(self.user_settings) - set(self.defaults))

    def reload(self):
        for name in self._cache:
            delattr(self, name)
        self._cache.clear()


flowscope_settings = FlowscopeSettings()


def _reload_on_change(*, setting, **kwargs):
    if setting == "FLOWSCOPE":
        flowscope_settings.reload()


setting_changed.connect(_reload_on_change)
