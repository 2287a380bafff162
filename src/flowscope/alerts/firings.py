"""What each kind of rule finds in a committed batch: ``Firing``s, one per subject (a
route, an error group, a workflow type) past the rule's threshold.

Thresholds on rollups read the rows the batch wrote (one a window, metric and route, from
this process); the new-error and workflow rules ask the store what came before, with one
indexed query per error group or workflow type the batch touched.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q

from flowscope.alerts.wording import UNITS, plural, quantity, span_of, threshold_message
from flowscope.conf import flowscope_settings
from flowscope.models import ErrorLog, WorkflowSession

FAILED = WorkflowSession.Status.FAILED.value
WORKFLOW = WorkflowSession.Kind.WORKFLOW.value
# Requests that belong to no workflow of the project's: their failures are the routes'.
UNTYPED = "unknown"
COUNTED_AS = {"api": "request", "database": "query", "cache": "lookup"}


@dataclass
class Firing:
    rule: object
    subject: str
    value: float
    threshold: float | None
    unit: str
    message: str
    details: dict = field(default_factory=dict)
    # True: fires once for its subject, ever (a new error group), not once per cooldown.
    once: bool = False


def rollup_thresholds(rule, batch):
    """``p95`` and ``error_rate`` rules, on the rollup rows this batch wrote."""
    options = rule.options
    metric = options.get("metric", "error_rate")
    for snapshot in batch.snapshots:
        if snapshot.metric != metric or snapshot.layer != options["layer"]:
            continue
        if snapshot.count < options["min_count"] or not rule.covers(snapshot.component):
            continue
        value = snapshot.p95 if rule.kind == "p95" else snapshot.value
        if value is not None and value > options["above"]:
            yield _rollup_firing(rule, snapshot, metric, value)


def _rollup_firing(rule, snapshot, metric, value):
    unit = UNITS.get(metric, "")
    label = "p95" if rule.kind == "p95" else "error rate"
    noun = COUNTED_AS.get(snapshot.layer, "call")
    context = f"{span_of(snapshot.window_seconds)}, {plural(snapshot.count, noun)}"
    threshold = rule.options["above"]
    return Firing(
        rule,
        subject=snapshot.component,
        value=value,
        threshold=threshold,
        unit=unit,
        message=threshold_message(label, value, threshold, unit, snapshot.component, context),
        details={
            "metric": metric,
            "layer": snapshot.layer,
            "window_start": snapshot.window_start.isoformat(),
            "window_seconds": snapshot.window_seconds,
            "count": snapshot.count,
        },
    )


class NewErrorGroups:
    """``new_error_group`` rules: an error whose fingerprint has no earlier occurrence in
    the store. Fingerprints found to be old are remembered, so that a storm of a known
    error costs no query."""

    REMEMBERED = 10_000

    def __init__(self):
        self.known = set()

    def __call__(self, rule, batch):
        layers = rule.options["layers"]
        firsts = {}
        for error in batch.errors:
            if error.pk is None or error.fingerprint in self.known:
                continue
            if not layers or error.layer in layers:
                firsts.setdefault(error.fingerprint, error)
        for fingerprint, error in firsts.items():
            if self._seen_before(fingerprint, error.pk):
                continue
            yield _new_error_firing(rule, error, batch)

    def _seen_before(self, fingerprint, pk):
        earlier = ErrorLog.objects.filter(fingerprint=fingerprint, pk__lt=pk).exists()
        if earlier:
            if len(self.known) >= self.REMEMBERED:
                self.known.clear()
            self.known.add(fingerprint)
        return earlier


def _new_error_firing(rule, error, batch):
    count = sum(1 for other in batch.errors if other.fingerprint == error.fingerprint)
    # One line: it is also an e-mail's subject.
    summary = " ".join(f"{error.error_type}: {error.message}".split()).rstrip(":")[:300]
    return Firing(
        rule,
        subject=error.fingerprint,
        value=count,
        threshold=None,
        unit="errors",
        message=f"New error: {summary} ({error.layer}, {plural(count, 'occurrence')})",
        details={"error_id": error.pk, "error_type": error.error_type, "layer": error.layer},
        once=True,
    )


def workflow_failure_rates(rule, batch, at):
    """``workflow_failure_rate`` rules: for each workflow type a workflow of this batch
    failed in, the share of that type's workflows ended in the window that failed."""
    options = rule.options
    for workflow_type in sorted(_types_that_failed(batch, options["workflow_types"])):
        window = options["window_seconds"]
        ended, failed = _ended_and_failed(workflow_type, at - timedelta(seconds=window))
        if ended < options["min_count"] or not ended:
            continue
        rate = failed / ended
        if rate > options["above"]:
            yield _failure_rate_firing(rule, workflow_type, rate, failed, ended, window)


def _types_that_failed(batch, listed):
    if not (batch.new_workflow_rows or batch.updated_workflows):
        return set()
    return {
        w.workflow_type
        for w in batch.workflows
        if w.status == FAILED
        and w.kind == WORKFLOW
        and "synthetic" not in w.metadata
        and batch.previous_status.get(w.correlation_id) != FAILED
        and (w.workflow_type in listed if listed else w.workflow_type != UNTYPED)
    }


def _ended_and_failed(workflow_type, since):
    # started_at bounds the scan to the type's index: nothing ends later than it times out.
    oldest_start = since - timedelta(seconds=flowscope_settings.WORKFLOW_TIMEOUT_SECONDS)
    counts = (
        WorkflowSession.objects.real_traffic()
        .filter(
            workflow_type=workflow_type,
            started_at__gte=oldest_start,
            ended_at__gte=since,
            status__in=WorkflowSession.ENDED,
        )
        .aggregate(ended=Count("pk"), failed=Count("pk", filter=Q(status=FAILED)))
    )
    return counts["ended"], counts["failed"]


def _failure_rate_firing(rule, workflow_type, rate, failed, ended, window):
    threshold = rule.options["above"]
    over = f"{quantity(rate, 'ratio')} over {quantity(threshold, 'ratio')}"
    context = f"{failed:,} of {plural(ended, 'workflow')} ended in {span_of(window)}"
    return Firing(
        rule,
        subject=workflow_type,
        value=rate,
        threshold=threshold,
        unit="ratio",
        message=f"{workflow_type} workflows failing: {over} ({context})",
        details={"failed": failed, "ended": ended, "window_seconds": window},
    )
