"""Turns a batch of finished traces into rows: one transaction a batch, bulk inserts.

Runs only in the recorder's thread. Workflow counters are incremented in SQL (``F()``), not
overwritten, because several processes may write to the same workflow at once.

A record with an ``idempotency_key`` is written at most once: its key gets a
``DeliveryReceipt`` in the same transaction, and a record whose key has one is skipped. Two
writers racing with the same key cannot both commit (the key is unique): the loser's
transaction fails, the ``WritePolicy`` retries it, and the retry skips the record.
"""

import functools
import json
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import msgspec
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from flowscope.models import (
    DeliveryReceipt,
    ErrorLog,
    PerformanceSnapshot,
    TraceStep,
    WorkflowSession,
)
from flowscope.recording import commit_gate
from flowscope.recording.fingerprints import fingerprint_of
from flowscope.records.scrubbing import storable
from flowscope.records.trace import CapturedError, ExternalSpans, Trace

Status = WorkflowSession.Status
Kind = WorkflowSession.Kind
FAILING = {"error", "critical"}


@dataclass
class CommittedBatch:
    """What a committed batch wrote; handed to the recorder's sinks and to
    ``batch_committed`` receivers."""

    # Workflows this batch created, as ``(id, values in SESSION_FIELDS order)``, and those
    # it updated, read back; ``workflows`` makes models of the first when asked.
    new_workflow_rows: list = field(default_factory=list, repr=False)
    updated_workflows: list = field(default_factory=list)
    # The steps' column values (STEP_COLUMNS); ``steps`` makes them models when asked.
    step_rows: list = field(default_factory=list, repr=False)
    errors: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    timed_out: list = field(default_factory=list)
    # correlation ID -> status before this batch; None for a workflow this batch created.
    previous_status: dict = field(default_factory=dict)
    # Records not written because their idempotency key shows they were stored before.
    duplicates: list = field(default_factory=list, repr=False)

    def __bool__(self):
        return any(
            (
                self.new_workflow_rows,
                self.updated_workflows,
                self.step_rows,
                self.errors,
                self.snapshots,
                self.timed_out,
            )
        )

    @functools.cached_property
    def workflows(self):
        """The ``WorkflowSession``s written, as stored: built only for a reader (most
        batches have none), because a model costs more than its row."""
        alias = connection.alias
        new = [
            WorkflowSession.from_db(alias, None, (pk, *row)) for pk, row in self.new_workflow_rows
        ]
        return [*new, *self.updated_workflows]

    @functools.cached_property
    def steps(self):
        """The ``TraceStep``s written (unsaved copies, without ids): built only for a
        reader, since most batches have none (no live listener) and a model costs more
        than its row."""
        # Positional: half the CPU of keyword arguments (STEP_COLUMNS is the model's order).
        return [TraceStep(None, *row) for row in self.step_rows]

    def steps_of(self, workflow_ids):
        """The ``TraceStep``s written for these workflows only (the few watched live)."""
        return [TraceStep(None, *row) for row in self.step_rows if row[0] in workflow_ids]


def is_stored(record):
    """Sampled records are stored whole; an unsampled one only if it has errors."""
    return record.sampled or record.has_errors


def write(items):
    """Write traces, external spans and standalone errors in one transaction; return what
    was written. Records whose idempotency key was written before are skipped."""
    batch = CommittedBatch()
    with commit_gate.current().commit(len(items)) as claim, transaction.atomic():
        items, batch.duplicates = _first_deliveries(items)
        traces = [i for i in items if isinstance(i, Trace | ExternalSpans) and is_stored(i)]
        standalone = [item for item in items if isinstance(item, CapturedError)]
        workflow_ids = _upsert_workflows(traces, batch)
        batch.step_rows = _insert_steps(traces, workflow_ids)
        batch.errors = _insert_errors(traces, standalone, workflow_ids)
        claim()  # the COMMIT, as the block ends, only while shutdown has not given up
    return batch


def _first_deliveries(items):
    """``(first, again)``: ``items`` without those delivered before (a receipt holds their
    key) or earlier in this batch, and those. Receipts are inserted for the keys of the
    first; records without a key are always first."""
    keyed = {}
    for item in items:
        if item.idempotency_key:
            keyed.setdefault(item.idempotency_key, item)
    if not keyed:
        return items, []
    seen = set(DeliveryReceipt.objects.filter(key__in=list(keyed)).values_list("key", flat=True))
    fresh = [key for key in keyed if key not in seen]
    field = DeliveryReceipt._meta.get_field("written_at")
    written_at = field.get_db_prep_save(timezone.now(), connection)
    # A plain insert: a concurrent writer's receipt for the same key fails this transaction.
    _insert_rows(DeliveryReceipt, ("key", "written_at"), [(key, written_at) for key in fresh])
    kept = {id(keyed[key]) for key in fresh}
    first = [item for item in items if not item.idempotency_key or id(item) in kept]
    again = [item for item in items if item.idempotency_key and id(item) not in kept]
    return first, again


def _upsert_workflows(traces, batch):
    """Workflows new to the store are inserted complete; only those that existed already
    (or that another process inserted at the same moment) are updated, in SQL. Return
    ``{correlation ID: workflow id}``; fill in the batch's workflows and previous statuses."""
    by_id = defaultdict(list)
    for trace in traces:
        by_id[trace.correlation_id].append(trace)
    found = _stored_ids(list(by_id))
    marker = timezone.now()  # tells our inserted rows from another process's
    new = {
        cid: _new_workflow(cid, group, marker) for cid, group in by_id.items() if cid not in found
    }
    inserted = _insert_new_workflows(new, marker) if new else {}
    batch.new_workflow_rows = [(pk, new[cid]) for cid, pk in inserted.items()]
    # With those another process inserted between our look-up and our insert.
    stored = _locked_workflows([cid for cid in by_id if cid not in inserted])
    batch.previous_status = {cid: stored[cid].status if cid in stored else None for cid in by_id}
    for cid in sorted(stored):
        _apply(stored[cid], by_id[cid])
    if stored:
        pks = [session.pk for session in stored.values()]
        batch.updated_workflows = list(WorkflowSession.objects.filter(pk__in=pks))
    return {**inserted, **{cid: session.pk for cid, session in stored.items()}}


# Bound on the values of one ``IN`` (SQLite takes 999 parameters a statement).
IN_CHUNK = 500


def _stored_ids(correlation_ids):
    """The correlation IDs already stored: a plain look-up, because most workflows of a
    batch are new and the ORM's ``__in`` prepares every value through the field."""
    table = connection.ops.quote_name(WorkflowSession._meta.db_table)
    found = []
    with connection.cursor() as cursor:
        for start in range(0, len(correlation_ids), IN_CHUNK):
            chunk = correlation_ids[start : start + IN_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT correlation_id FROM {table} WHERE correlation_id IN ({marks})", chunk
            )
            found += [cid for (cid,) in cursor.fetchall()]
    return set(found)


def _locked_workflows(correlation_ids):
    """``{correlation ID: WorkflowSession}``, locked until the batch commits: the status
    the retries are judged against is then the stored one, not one another writer has
    changed since. Locked in one order for every writer (no deadlock between them), after
    the inserts, where the updates locked them before."""
    if not correlation_ids:
        return {}
    rows = WorkflowSession.objects.select_for_update().filter(correlation_id__in=correlation_ids)
    return {s.correlation_id: s for s in rows.order_by("correlation_id")}


SESSION_FIELDS = [f for f in WorkflowSession._meta.concrete_fields if not f.primary_key]
SESSION_COLUMNS = [f.column for f in SESSION_FIELDS]


def _insert_new_workflows(new, marker):
    """``{correlation ID: id}`` of the ``new`` rows (``{correlation ID: values}``) this
    statement inserted; a row another process inserted first is left alone."""
    if connection.vendor == "postgresql":
        return _insert_returning_ids(list(new.values()))
    return _insert_ignoring_conflicts(new, marker)


def _insert_returning_ids(rows):
    """On PostgreSQL: one array a column, so that the statement is short and the same for
    every batch. ``bulk_create`` with ``ignore_conflicts`` returns no ids (they had to be
    read back), and one placeholder a value made psycopg convert thousands of them for
    every batch."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in SESSION_COLUMNS)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in SESSION_FIELDS)
    columns = [list(values) for values in zip(*rows, strict=True)]
    for index, f in enumerate(SESSION_FIELDS):
        if f.get_internal_type() == "JSONField":
            columns[index] = [_json(value) for value in columns[index]]
    sql = (
        f"INSERT INTO {quote(WorkflowSession._meta.db_table)} ({names}) "
        f"SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({quote('correlation_id')}) DO NOTHING "
        f"RETURNING {quote('correlation_id')}, {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        return dict(cursor.fetchall())


def _insert_ignoring_conflicts(new, marker):
    """On SQLite and MySQL: rows prepared by hand (``bulk_create`` prepared every field of
    every object through the ORM), inserted in bulk (``_insert_values``) so as to leave alone a
    correlation ID another process inserted; the ids are read back: ours carry this
    batch's ``marker``."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in SESSION_COLUMNS)
    converters = [(i, _preparer(f)) for i, f in enumerate(SESSION_FIELDS) if _preparer(f)]
    rows = []
    for values in new.values():
        row = list(values)
        for index, to_db in converters:
            row[index] = to_db(row[index])
        rows.append(row)
    table = quote(WorkflowSession._meta.db_table)
    if connection.vendor == "mysql":
        head, tail = f"INSERT IGNORE INTO {table} ({names}) VALUES", ""
    else:
        head = f"INSERT INTO {table} ({names}) VALUES"
        tail = f"ON CONFLICT ({quote('correlation_id')}) DO NOTHING"
    stamp = _datetime_to_db()(marker)
    ids = {}
    with connection.cursor() as cursor:
        _insert_values(cursor, head, rows, tail)
        cids = list(new)
        for start in range(0, len(cids), IN_CHUNK):
            chunk = cids[start : start + IN_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT correlation_id, id FROM {table} "
                f"WHERE updated_at = %s AND correlation_id IN ({marks})",
                [stamp, *chunk],
            )
            ids.update(cursor.fetchall())
    return ids


def _preparer(field):
    """What the database takes for a value of ``field`` (dates and JSON need converting;
    None: the value as it is)."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return _datetime_to_db()
    if kind == "JSONField":
        return _json
    return None


def _new_workflow(correlation_id, traces, marker):
    """The values (``SESSION_FIELDS``'s order) of a workflow first seen in ``traces``: one
    pass, as this runs for nearly every request of a host that sends no correlation ID."""
    first = traces[0]
    last = first.ended_at
    workflow_type, user_id, journey_id, failed, complete = "", None, "", False, False
    release = ""
    requests = steps = errors = 0
    for trace in traces:
        if trace.started_at < first.started_at:
            first = trace
        last = max(last, trace.ended_at)
        workflow_type = workflow_type or trace.workflow_type
        user_id = user_id or trace.user_id
        journey_id = journey_id or trace.journey_id
        release = release or trace.release
        requests += trace.request_count
        steps += len(trace.all_spans())
        errors += len(trace.errors)
        failed = failed or any(e.severity in FAILING for e in trace.errors)
        complete = complete or trace.complete
    started = first.started_at
    kind = Kind.REQUEST.value if _request_trace(traces) else Kind.WORKFLOW.value
    failures = 0
    if failed:  # only then are the traces needed in order: a retry may have followed
        outcome = _outcome(None, None, traces)
        failed, complete, failures = outcome.failed, outcome.complete, outcome.failures
    status, ended_at, duration_ms = Status.IN_PROGRESS.value, None, None
    if failed or complete or kind == Kind.REQUEST:
        status = Status.FAILED.value if failed else Status.COMPLETED.value
        ended_at, duration_ms = last, (last - started).total_seconds() * 1000
    return _session_values(
        {
            "correlation_id": correlation_id,
            "workflow_type": workflow_type or "unknown",
            "status": status,
            "user_id": user_id,
            "started_at": started,
            "last_activity_at": last,
            "ended_at": ended_at,
            "duration_ms": duration_ms,
            "updated_at": marker,
            "request_count": requests,
            "step_count": steps,
            "error_count": errors,
            "failed_attempts": failures,
            "metadata": first.workflow_metadata,
            "journey_id": journey_id,
            "kind": kind,
            "release": release[:64],
        }
    )


def _request_trace(traces):
    """Whether a new row's traces are one request outside any workflow (with what joined
    it: its page's load timings, its tasks), to be stored ended at once. A request that came
    with its correlation ID stays a workflow in progress: later requests may continue it."""
    return any(_outside(t) for t in traces) and not any(_joins_workflow(t) for t in traces)


def _outside(trace):
    return isinstance(trace, Trace) and trace.outside_workflows


def _joins_workflow(trace):
    """A request that makes its correlation ID's row a workflow: one of a configured type
    (its route or X-Workflow-Type), or one that came with the ID."""
    return (
        isinstance(trace, Trace)
        and trace.root.layer == "api"
        and bool(trace.workflow_type or trace.correlation_given)
    )


_session_values = operator.itemgetter(*(f.attname for f in SESSION_FIELDS))


def _apply(session, traces):
    """One UPDATE: counters, type, user, and the status the traces lead to."""
    last = max(t.ended_at for t in traces)
    first = min(t.started_at for t in traces)
    last_value = Value(last, output_field=DateTimeField())
    updates = {
        # Another process may have recorded a later request of this workflow first.
        "started_at": Least(F("started_at"), Value(first, output_field=DateTimeField())),
        "request_count": F("request_count") + sum(t.request_count for t in traces),
        "step_count": F("step_count") + sum(len(t.all_spans()) for t in traces),
        "error_count": F("error_count") + sum(len(t.errors) for t in traces),
        "last_activity_at": Greatest(F("last_activity_at"), last_value),
        "updated_at": Value(timezone.now(), output_field=DateTimeField()),
    }
    if typed := next((t.workflow_type for t in traces if t.workflow_type), ""):
        updates["workflow_type"] = Case(
            When(workflow_type="unknown", then=Value(typed)), default=F("workflow_type")
        )
    if user_id := next((t.user_id for t in traces if t.user_id), None):
        updates["user_id"] = Coalesce(F("user_id"), Value(user_id))
    if journey_id := next((t.journey_id for t in traces if t.journey_id), ""):
        updates["journey_id"] = Case(
            When(journey_id="", then=Value(journey_id)), default=F("journey_id")
        )
    if release := next((t.release for t in traces if t.release), ""):
        updates["release"] = Case(When(release="", then=Value(release[:64])), default=F("release"))
    session.started_at = min(session.started_at, first)
    if session.kind == Kind.REQUEST and any(_joins_workflow(t) for t in traces):
        _become_workflow(session)
    updates.update(_status_updates(session, traces, last, last_value))
    WorkflowSession.objects.filter(pk=session.pk).update(**updates)


def _become_workflow(session):
    """A request trace that a workflow's request joins becomes that workflow, running, with
    no end or duration yet. Its own statement (rare), so that the update that follows reads
    the status it sets on every database, as ``_reopen``'s."""
    WorkflowSession.objects.filter(pk=session.pk, kind=Kind.REQUEST).update(
        kind=Kind.WORKFLOW, status=Status.IN_PROGRESS, ended_at=None, duration_ms=None
    )
    session.kind, session.status, session.ended_at = Kind.WORKFLOW, Status.IN_PROGRESS, None


def _status_updates(session, traces, last, last_value):
    """The status the traces lead to. A failure ends the workflow; a request that starts
    after it failed is a retry, which continues the workflow: a completing step then
    completes it, another failure fails it again (one more failed attempt). Anything else
    (the browser's report of the failed attempt, a completing step sent with it, a late
    error of it) leaves a failed workflow failed, and a completed one completed."""
    outcome = _outcome(session.status, session.ended_at, traces)
    if outcome.retried_at:
        _reopen(session, outcome.retried_at)
    duration = (last - session.started_at).total_seconds() * 1000
    attempts = _attempts(outcome.failures_started)
    if outcome.failed:
        # The last failure's condition: an earlier one started earlier still. Status then
        # end: MySQL assigns in order, and the end's condition reads the status just set.
        late = _before_completion(outcome.last_failure_started)
        return {
            **attempts,
            "duration_ms": Case(When(late, then=F("duration_ms")), default=Value(duration)),
            "status": Case(When(late, then=F("status")), default=Value(Status.FAILED)),
            "ended_at": Case(When(late, then=F("ended_at")), default=last_value),
        }
    if outcome.still_failed:
        return {}
    failed = When(status=Status.FAILED, then=F("status"))
    if outcome.complete:
        return {
            **attempts,
            "status": Case(failed, default=Value(Status.COMPLETED)),
            "ended_at": Case(When(status=Status.FAILED, then=F("ended_at")), default=last_value),
            "duration_ms": Case(
                When(status=Status.FAILED, then=F("duration_ms")), default=Value(duration)
            ),
        }
    # Activity after a timeout means the workflow was only slow: it is running again, with no
    # end or duration yet. The status is set last: MySQL assigns in order, and the other two
    # read the status as it was.
    timed_out = Q(status=Status.TIMED_OUT)
    return {
        **attempts,
        "ended_at": Case(When(timed_out, then=Value(None)), default=F("ended_at")),
        "duration_ms": Case(When(timed_out, then=Value(None)), default=F("duration_ms")),
        "status": Case(When(timed_out, then=Value(Status.IN_PROGRESS)), default=F("status")),
    }


def _before_completion(started_at):
    """A failure that started before the stored completion ended: a late report of an
    attempt that a retry completed, which leaves the workflow completed."""
    return Q(status=Status.COMPLETED, ended_at__gt=started_at)


def _attempts(failures_started):
    """The failed attempts the batch adds: those not late reports of a completed one."""
    if not failures_started:
        return {}
    added = [
        Case(When(_before_completion(at), then=Value(0)), default=Value(1))
        for at in failures_started
    ]
    return {"failed_attempts": functools.reduce(operator.add, added, F("failed_attempts"))}


@dataclass
class _Outcome:
    # When each attempt that failed in the batch started, in order.
    failures_started: list = field(default_factory=list)
    failed: bool = False  # the batch's last failure stands: the workflow is failed
    last_failure_started: datetime | None = None
    still_failed: bool = False  # the stored failure stands (nothing retried it)
    complete: bool = False  # a completing step since the last failure or retry
    retried_at: datetime | None = None  # when a request retried the stored failure

    @property
    def failures(self):
        return len(self.failures_started)


def _outcome(status, ended_at, traces):
    """The batch's traces in the order they started, from the workflow's stored ``status``
    and end (None: new): a retry and its failure or completion may be in the same batch as
    the failure before."""
    outcome = _Outcome()
    stored_failure = status == Status.FAILED
    failed_until = ended_at if stored_failure else None
    for trace in sorted(traces, key=operator.attrgetter("started_at")):
        if failed_until and trace.request_count and trace.started_at > failed_until:
            if stored_failure:
                outcome.retried_at, stored_failure = trace.started_at, False
            failed_until, outcome.failed, outcome.complete = None, False, False
        if any(e.severity in FAILING for e in trace.errors):
            if failed_until is None:
                outcome.failures_started.append(trace.started_at)
            failed_until = max(failed_until or trace.ended_at, trace.ended_at)
            outcome.failed, outcome.complete = True, False
            outcome.last_failure_started = trace.started_at
        elif trace.complete and failed_until is None:
            outcome.complete = True
    outcome.still_failed = failed_until is not None and not outcome.failed
    return outcome


def _reopen(session, retried_at):
    """A failed workflow that a request started after its failure continues is running
    again, with no end or duration yet; its failed attempts stay counted. Its own statement
    (rare), so that the update that follows reads the status it sets on every database
    (MySQL assigns in order, the others from the row as it was)."""
    WorkflowSession.objects.filter(
        pk=session.pk, status=Status.FAILED, ended_at__lt=retried_at
    ).update(status=Status.IN_PROGRESS, ended_at=None, duration_ms=None)


def _insert_steps(traces, workflow_ids):
    values = [
        (
            workflow_ids[trace.correlation_id],
            span.span_id,
            span.parent_span_id,
            span.layer,
            storable(span.name[:500]),
            span.status,
            span.started_at,
            round(span.duration_ms, 3),
            span.metadata,
        )
        for trace in traces
        for span in trace.all_spans()
    ]
    _insert_step_rows(values)
    return values


# TraceStep's columns after its id, in the model's order.
STEP_COLUMNS = (
    "workflow_id",
    "span_id",
    "parent_span_id",
    "layer",
    "name",
    "status",
    "started_at",
    "duration_ms",
    "metadata",
)


def _insert_step_rows(values):
    """The batch's steps in one go. ``bulk_create`` took three times the CPU (it prepares
    every value of every object through the ORM), and this runs in the serving process.
    PostgreSQL's ``COPY`` takes the times as they are (aware) and JSON as text; other
    databases get dates as the field prepares them."""
    if not values:
        return
    if connection.vendor == "postgresql":
        rows = [(*row[:8], _json(row[8])) for row in values]
    else:
        to_db = _datetime_to_db()
        rows = [(*row[:6], to_db(row[6]), row[7], _json(row[8])) for row in values]
    _insert_rows(TraceStep, STEP_COLUMNS, rows)


def _datetime_to_db():
    """How this database takes an aware time. Times of records are UTC already, so on
    SQLite with Django's UTC connection they only lose their zone (the adapter's zone
    conversion was a fifth of the writer's time, for every step)."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or connection.timezone_name != "UTC":
        return adapt
    return lambda value: (
        str(value.replace(tzinfo=None)) if getattr(value, "tzinfo", None) is UTC else adapt(value)
    )


_encode_json = msgspec.json.Encoder().encode


def _json(value):
    """JSON text, ten times faster than ``json.dumps``; it covers what msgspec refuses
    (a dict keyed by None)."""
    try:
        return _encode_json(value).decode()
    except TypeError:
        return json.dumps(value, default=str)


def _insert_rows(model, columns, rows):
    """Rows of values ready for the database (``get_db_prep_save``), in one go: ``COPY``
    on PostgreSQL (several times cheaper than an ``INSERT`` a row), ``_insert_values``
    elsewhere."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg's own cursor (Django's has no copy()); its errors made Django's.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        _insert_values(cursor, f"INSERT INTO {table} ({names}) VALUES", rows)


def _insert_values(cursor, head, rows, tail=""):
    """``head`` (``INSERT INTO t (a, b) VALUES``) with ``rows``. On SQLite: as few multi-row
    statements as its parameter limit allows, because ``executemany`` steps the statement
    once a row and lets go of the interpreter lock each time, for the serving threads to
    take and give back: the writer's CPU doubled while requests ran. MySQL's driver makes
    an ``executemany`` multi-row by itself."""
    row_marks = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    if connection.vendor != "sqlite":
        cursor.executemany(f"{head} {row_marks} {tail}", rows)
        return
    per_statement = max(1, connection.features.max_query_params // len(rows[0]))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        marks = ", ".join([row_marks] * len(chunk))
        cursor.execute(f"{head} {marks} {tail}", [value for row in chunk for value in row])


def _insert_errors(traces, standalone, workflow_ids):
    pairs = [(workflow_ids[t.correlation_id], e) for t in traces for e in t.errors]
    step_ids = _step_ids({(workflow_id, e.span_id) for workflow_id, e in pairs})
    rows = [
        _error_row(e, workflow_id, step_ids.get((workflow_id, e.span_id)))
        for workflow_id, e in pairs
    ]
    rows += [_error_row(e, None, None) for e in standalone]
    ErrorLog.objects.bulk_create(rows, batch_size=500)
    return rows


def _step_ids(keys):
    """``{(workflow id, span id): step id}`` for the steps errors point at (few)."""
    if not keys:
        return {}
    rows = TraceStep.objects.filter(
        workflow_id__in={w for w, _ in keys}, span_id__in={s for _, s in keys}
    ).values_list("workflow_id", "span_id", "pk")
    return {(w, s): pk for w, s, pk in rows}


def _error_row(error, workflow_id, step_id):
    return ErrorLog(
        workflow_id=workflow_id,
        step_id=step_id,
        layer=error.layer,
        error_type=storable(error.error_type[:255]),
        message=storable(error.message[:10000]),
        stack_trace=error.stack_trace,
        severity=error.severity,
        fingerprint=fingerprint_of(error),
        created_at=error.created_at,
        request_context=error.request_context,
    )


def write_snapshots(snapshots):
    with transaction.atomic():
        PerformanceSnapshot.objects.bulk_create(snapshots, batch_size=500, ignore_conflicts=True)
    return CommittedBatch(snapshots=snapshots)


def time_out_idle_workflows(now, timeout_seconds, limit=500):
    """Mark workflows idle for longer than the timeout as timed_out; return them."""
    cutoff = now - timedelta(seconds=timeout_seconds)
    idle = list(
        WorkflowSession.objects.filter(status=Status.IN_PROGRESS, last_activity_at__lt=cutoff)[
            :limit
        ]
    )
    changed = []
    for session in idle:
        duration = (session.last_activity_at - session.started_at).total_seconds() * 1000
        updated = WorkflowSession.objects.filter(
            pk=session.pk,
            status=Status.IN_PROGRESS,
            last_activity_at=session.last_activity_at,
        ).update(
            status=Status.TIMED_OUT,
            ended_at=session.last_activity_at,
            duration_ms=duration,
            updated_at=now,
        )
        if updated:
            session.status, session.ended_at = Status.TIMED_OUT, session.last_activity_at
            session.duration_ms = duration
            changed.append(session)
    return CommittedBatch(timed_out=changed)


def close_connection():
    connection.close()
