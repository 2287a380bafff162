"""What flowscope stores: workflows, their steps (spans), errors and performance rollups."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from flowscope.fields import ExactCharField
from flowscope.records.trace import LAYERS

# The layers a step can belong to, named once with the records capture builds.
Layer = models.TextChoices("Layer", [(name.upper(), name) for name in LAYERS])


# The layers whose health the dashboard judges: custom steps are the project's own, too
# unlike each other to share a threshold; background tasks take as long as their work does,
# which a request's latency threshold would call critical.
HEALTH_LAYERS = tuple(layer.value for layer in Layer if layer not in (Layer.CUSTOM, Layer.TASK))


class Severity(models.TextChoices):
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class WorkflowQuerySet(models.QuerySet):
    def real_traffic(self):
        """Workflows as figures and alerts count them: no request traces (requests outside
        any workflow), no synthetic runs (manual tests and replays from the dashboard, marked
        ``metadata["synthetic"]`` by capture)."""
        return self.filter(kind=WorkflowSession.Kind.WORKFLOW).exclude(SYNTHETIC)

    def synthetic(self):
        return self.filter(SYNTHETIC)


SYNTHETIC = models.Q(metadata__has_key="synthetic")


class WorkflowSession(models.Model):
    """One business workflow (login, checkout, ...): every request sharing a correlation ID;
    or, of ``kind`` request, one request that belongs to none."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        FAILED = "failed"
        TIMED_OUT = "timed_out"

    class Kind(models.TextChoices):
        WORKFLOW = "workflow"
        # A request outside any workflow (no correlation ID came with it, its route names no
        # workflow type): stored ended, with its steps, but never counted as a workflow.
        REQUEST = "request"

    # The statuses a workflow ends in: it will not change again.
    ENDED = (Status.COMPLETED.value, Status.FAILED.value, Status.TIMED_OUT.value)

    correlation_id = ExactCharField(max_length=64, unique=True)
    workflow_type = models.CharField(max_length=64, default="unknown")
    status = models.CharField(max_length=20, choices=Status, default=Status.IN_PROGRESS)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    # Set by every write that changes the workflow: what realtime_updates?since= reads.
    updated_at = models.DateTimeField(default=timezone.now)
    request_count = models.PositiveIntegerField(default=0)
    step_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # How many times it failed: a request after a failure continues it (a retry), so a
    # workflow that failed and then completed is "completed after N failed attempts".
    failed_attempts = models.PositiveIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    # The browser session the workflow belongs to (the SDK's journey id): a person's
    # workflows, in order. Blank for workflows no browser started.
    journey_id = models.CharField(max_length=64, blank=True, default="")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.WORKFLOW)
    # The release of the code that served it (the RELEASE setting of the process that
    # captured its first tagged step): what release comparison groups by. Blank: untagged.
    release = models.CharField(max_length=64, blank=True, default="")

    objects = WorkflowQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # Covering (PostgreSQL): the per-type aggregate of a long window reads the index
            # only. SQLite builds it without the included columns.
            models.Index(
                fields=["-started_at"],
                include=["workflow_type", "request_count"],
                name="fs_wf_started_cover",
            ),
            models.Index(fields=["status", "-started_at"], name="fs_wf_status"),
            models.Index(fields=["workflow_type", "-started_at"], name="fs_wf_type"),
            models.Index(fields=["status", "last_activity_at"], name="fs_wf_activity"),
            models.Index(fields=["-updated_at"], name="fs_wf_updated"),
            models.Index(fields=["journey_id", "started_at"], name="fs_wf_journey"),
            models.Index(fields=["kind", "-started_at"], name="fs_wf_kind"),
            models.Index(fields=["release", "-started_at"], name="fs_wf_release"),
        ]

    def __str__(self):
        return f"{self.workflow_type} {self.correlation_id} ({self.status})"

    @property
    def ended(self):
        """Whether it ended (completed, failed or timed out); one in progress may go on."""
        return self.status in self.ENDED

    @property
    def recorded_ms(self):
        """From the start of its first request or step to the end of its last: what was
        recorded of it, ended or not; never the time since it started."""
        return (self.last_activity_at - self.started_at).total_seconds() * 1000


class TraceStep(models.Model):
    """A span: one timed piece of work in one layer. DB and cache steps are children of the
    API step that ran them (``parent_span_id``)."""

    class Status(models.TextChoices):
        OK = "ok"
        ERROR = "error"

    workflow = models.ForeignKey(WorkflowSession, on_delete=models.CASCADE, related_name="steps")
    span_id = models.CharField(max_length=32)
    parent_span_id = models.CharField(max_length=32, blank=True, default="")
    layer = models.CharField(max_length=20, choices=Layer)
    name = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status, default=Status.OK)
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["workflow", "started_at"], name="fs_step_workflow"),
            models.Index(fields=["layer", "-started_at"], name="fs_step_layer"),
            models.Index(fields=["-started_at"], name="fs_step_started"),
            # Requests flagged with an N+1 are few: the recommendation reads them from here
            # instead of scanning every request of its window.
            models.Index(
                fields=["-started_at"],
                condition=models.Q(layer="api", metadata__has_key="n_plus_one"),
                name="fs_step_n_plus_one",
            ),
        ]

    def __str__(self):
        return f"{self.layer}: {self.name}"


class ErrorLog(models.Model):
    """An error occurrence; occurrences of the same error share a ``fingerprint``."""

    workflow = models.ForeignKey(
        WorkflowSession, null=True, blank=True, on_delete=models.CASCADE, related_name="errors"
    )
    step = models.ForeignKey(
        TraceStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="errors"
    )
    layer = models.CharField(max_length=20, choices=Layer)
    error_type = models.CharField(max_length=255)
    message = models.TextField(blank=True)
    stack_trace = models.JSONField(default=list, blank=True)
    severity = models.CharField(max_length=10, choices=Severity, default=Severity.ERROR)
    fingerprint = models.CharField(max_length=64)
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    # When it was stored (created_at is when it happened): what realtime_updates reads, so
    # that an error written a moment after it happened is not missed by a poll.
    recorded_at = models.DateTimeField(default=timezone.now)
    request_context = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at"], name="fs_err_created"),
            models.Index(fields=["fingerprint", "-created_at"], name="fs_err_fingerprint"),
            models.Index(fields=["layer", "-created_at"], name="fs_err_layer"),
            models.Index(fields=["severity", "-created_at"], name="fs_err_severity"),
            models.Index(fields=["resolved", "-created_at"], name="fs_err_resolved"),
            models.Index(fields=["-recorded_at"], name="fs_err_recorded"),
        ]

    def __str__(self):
        return f"{self.error_type}: {self.message[:80]}"


class PerformanceSnapshot(models.Model):
    """A rollup of one metric over one window for one (layer, component), from one process.

    Each process writes its own rows (``source``); readers combine them. Percentiles from
    different processes cannot be merged exactly, so combined views weight them by count.
    """

    metric = models.CharField(max_length=40)
    layer = models.CharField(max_length=20)
    component = models.CharField(max_length=255)
    source = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    window_seconds = models.PositiveIntegerField(default=60)
    count = models.PositiveIntegerField(default=0)
    value = models.FloatField()
    p50 = models.FloatField(null=True, blank=True)
    p95 = models.FloatField(null=True, blank=True)
    p99 = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    is_alert = models.BooleanField(default=False)
    severity = models.CharField(max_length=10, choices=Severity, blank=True, default="")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-window_start", "id"]
        indexes = [
            models.Index(fields=["metric", "-window_start"], name="fs_perf_metric"),
            models.Index(fields=["layer", "-window_start"], name="fs_perf_layer"),
            # The readers' filter (a layer's metrics over a range): without it PostgreSQL
            # filtered every row of the layer for an OR of two ranges (a window's edges).
            models.Index(fields=["layer", "metric", "-window_start"], name="fs_perf_layer_metric"),
            models.Index(fields=["component", "-window_start"], name="fs_perf_component"),
            models.Index(fields=["is_alert", "-window_start"], name="fs_perf_alert"),
            models.Index(fields=["is_alert", "-recorded_at"], name="fs_perf_alert_recorded"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "layer", "component", "source", "window_start", "window_seconds"],
                name="fs_perf_one_row_per_window",
            ),
        ]

    def __str__(self):
        return f"{self.metric} {self.layer}/{self.component} @ {self.window_start}"


class DashboardConfiguration(models.Model):
    """A user's dashboard: what it shows, how often it refreshes, and the thresholds its
    health model and alerts use (over ``FLOWSCOPE["THRESHOLDS"]``)."""

    class Window(models.TextChoices):
        MINUTES_15 = "15m"
        HOUR_1 = "1h"
        HOURS_6 = "6h"
        HOURS_24 = "24h"
        DAYS_7 = "7d"

    WIDGETS = (
        "system_health",
        "active_workflows",
        "recent_errors",
        "performance_metrics",
        "optimization_recommendations",
        "charts",
    )

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    refresh_interval = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text="Seconds between refreshes when the live feed is not available.",
    )
    widgets = models.JSONField(default=list, blank=True)
    default_window = models.CharField(max_length=4, choices=Window, default=Window.HOUR_1)
    thresholds = models.JSONField(default=dict, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="fs_config_unique_name"),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="fs_config_one_default"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.user})"


class Report(models.Model):
    """A generated report, kept as built: what a developer attaches to a ticket."""

    class Type(models.TextChoices):
        WORKFLOW = "workflow"
        SYSTEM_HEALTH = "system_health"
        PERFORMANCE = "performance"

    report_type = models.CharField(max_length=20, choices=Type)
    title = models.CharField(max_length=300)
    parameters = models.JSONField(default=dict)
    generated_at = models.DateTimeField(default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.JSONField(default=dict)
    sections = models.JSONField(default=list)

    class Meta:
        ordering = ["-generated_at", "-id"]
        indexes = [models.Index(fields=["report_type", "-generated_at"], name="fs_report_type")]

    def __str__(self):
        return self.title


class TestRun(models.Model):
    """A manual test from the dashboard (one endpoint, or one workflow run), kept to be
    listed, opened, linked to its trace and run again. ``request`` and ``result`` are stored
    scrubbed, like any capture: a password or token sent by a test never reaches this row."""

    __test__ = False  # not a pytest test class, whatever its name says

    class Kind(models.TextChoices):
        ENDPOINT = "endpoint"
        WORKFLOW = "workflow"

    kind = models.CharField(max_length=10, choices=Kind)
    request = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    passed = models.BooleanField()
    correlation_id = ExactCharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.FloatField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at"], name="fs_testrun_created"),
            models.Index(fields=["kind", "-created_at"], name="fs_testrun_kind"),
            models.Index(fields=["passed", "-created_at"], name="fs_testrun_passed"),
            models.Index(fields=["correlation_id"], name="fs_testrun_correlation"),
        ]

    def __str__(self):
        return f"{self.kind} test {self.correlation_id} ({'passed' if self.passed else 'failed'})"


class DeliveryReceipt(models.Model):
    """A record delivered under an idempotency key was stored: the writer skips a record
    whose key has a receipt, so a retried delivery is stored once. Pruned with the data."""

    key = ExactCharField(max_length=200, unique=True)
    written_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.key


class AlertEvent(models.Model):
    """An alert rule that fired for one subject (a route, an error group, a workflow type),
    with every repeat of it within the cooldown: the alert history.

    ``claim_key`` names the rule, the subject and the cooldown period: the first process to
    insert it sends the message, every other firing in that period only counts a repeat, so
    a storm in any number of processes sends one message.
    """

    class Kind(models.TextChoices):
        P95 = "p95"
        ERROR_RATE = "error_rate"
        NEW_ERROR_GROUP = "new_error_group"
        WORKFLOW_FAILURE_RATE = "workflow_failure_rate"
        LATENCY_BUDGET = "latency_budget"

    class Delivery(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"
        DROPPED = "dropped"

    rule = models.CharField(max_length=100)
    kind = models.CharField(max_length=40, choices=Kind)
    subject = models.CharField(max_length=255)
    claim_key = models.CharField(max_length=64, unique=True)
    value = models.FloatField()
    threshold = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    first_fired_at = models.DateTimeField()
    last_fired_at = models.DateTimeField()
    repeats = models.PositiveIntegerField(default=0)
    # One entry per destination: {"destination", "target", "status", "attempts", "error"}.
    deliveries = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-first_fired_at", "-id"]
        indexes = [
            models.Index(fields=["-first_fired_at"], name="fs_alert_fired"),
            models.Index(fields=["rule", "-first_fired_at"], name="fs_alert_rule"),
        ]

    def __str__(self):
        return self.message


class InvariantCheck(models.Model):
    """A workflow's invariants (``FLOWSCOPE["INVARIANTS"]``) were checked when it ended.
    Inserted in the transaction that stores its violations, and unique per workflow and
    status: a workflow is checked once as failed and once as completed (a retry completed
    it), whichever process, or how many, saw it end."""

    # The error type of a broken rule's ErrorLog (one error group per rule).
    ERROR_TYPE = "InvariantViolation"

    workflow = models.ForeignKey(
        WorkflowSession, on_delete=models.CASCADE, related_name="invariant_checks"
    )
    checked_at = models.DateTimeField()
    # The status it was checked in (completed or failed).
    status = models.CharField(max_length=20)
    # Names of the rules that applied to it, and of those it broke.
    rules = models.JSONField(default=list, blank=True)
    violated = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workflow", "status"], name="fs_invariant_once")
        ]

    def __str__(self):
        return f"invariants of {self.workflow_id}: {len(self.violated)} broken"
