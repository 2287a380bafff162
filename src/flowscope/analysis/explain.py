"""EXPLAIN of a stored SELECT, asked from the dashboard, on the database the query ran on.

What runs is the database's plan of the statement, never the statement itself: EXPLAIN
without ANALYZE (PostgreSQL, MySQL/MariaDB) or EXPLAIN QUERY PLAN (SQLite), of one
statement that sqlparse reads as a SELECT writing nothing. Belt and braces around it: a
transaction that is always rolled back and read-only (on MySQL/MariaDB, unless the caller
is in a transaction already), and a time limit (EXPLAIN_TIMEOUT_MS) on every backend. The
parameters are the step's stored ones; one the scrubber masked (or cut) is not the value
the query ran with, so the caller must supply it.
"""

import time
from contextlib import contextmanager

import sqlparse
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from sqlparse import tokens

from flowscope.conf import flowscope_settings

WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT", "INTO"})
LOCK_WORDS = frozenset({"FOR", "KEY"})  # SELECT ... FOR [NO KEY] UPDATE only locks
SQLITE_CHECK_EVERY = 1000  # virtual machine instructions between time checks


class Refused(Exception):
    """Why a step cannot be explained, in words for the person who asked (a 400)."""

    def __init__(self, reason, code="explain_refused"):
        super().__init__(reason)
        self.reason, self.code = reason, code


def explain(step, supplied=None):
    """The plan of a stored database step: ``{"vendor", "alias", "statement", "columns",
    "rows", "text"}``; ``supplied`` gives values (by 1-based position, or name) for
    parameters that were not stored as sent. Raises ``Refused``."""
    meta = step.metadata or {}
    statement = _statement(step, meta)
    check_select(statement)
    connection = _connection(meta)
    params = _params(meta, supplied or {})
    try:
        columns, rows = _run(connection, statement, params)
    except DatabaseError as exc:
        raise Refused(f"The database refused the EXPLAIN: {exc}", "explain_failed") from exc
    return {
        "vendor": connection.vendor,
        "alias": connection.alias,
        "statement": statement,
        "columns": columns,
        "rows": rows,
        "text": _text(connection.vendor, rows),
    }


def _statement(step, meta):
    if step.layer != "database":
        raise Refused(f"Only a database step can be explained; this is a {step.layer} step.")
    operation = meta.get("operation")
    if operation is None:
        raise Refused(
            "Only a query flowscope's database collector captured can be explained; this step "
            "was ingested (OpenTelemetry)."
        )
    if operation != "SELECT":
        raise Refused(f"Only a SELECT can be explained; this step is {operation}.")
    statement = meta.get("statement")
    if not statement:
        raise Refused(
            "This SELECT's statement was not stored: a literal in it would have been "
            "masked, it was longer than MAX_TEXT_LENGTH, or CAPTURE_SQL_PARAMS was off."
        )
    return statement


def check_select(statement):
    """Refuses anything but one SELECT that writes nothing (no stacked statement, no
    data-modifying CTE, no SELECT INTO)."""
    try:
        parsed = [s for s in sqlparse.parse(statement) if s.value.strip(" \t\r\n;")]
    except sqlparse.exceptions.SQLParseError as exc:
        raise Refused(f"The statement could not be read: {exc}") from exc
    if len(parsed) != 1:
        raise Refused(f"EXPLAIN takes one statement; this holds {len(parsed)}.")
    kind = parsed[0].get_type()
    if kind != "SELECT":
        raise Refused(f"Only a SELECT can be explained; this statement is {kind}.")
    previous = ""
    for token in parsed[0].flatten():
        if token.is_whitespace or token.ttype in tokens.Comment:
            continue
        word = token.normalized.upper() if token.is_keyword else ""
        if word in WRITES and not (word == "UPDATE" and previous in LOCK_WORDS):
            raise Refused(f"Only a SELECT that writes nothing can be explained; it has {word}.")
        if token.ttype in tokens.Keyword.DDL:
            raise Refused(f"Only a SELECT can be explained; it has {word}.")
        previous = word


def _connection(meta):
    alias = meta.get("alias")
    if alias not in settings.DATABASES:
        raise Refused(f"The query ran on database {alias!r}, which this process does not have.")
    connection = connections[alias]
    if meta.get("vendor") not in (None, connection.vendor):
        raise Refused(
            f"The query ran on {meta['vendor']}; database {alias!r} is now {connection.vendor}."
        )
    return connection


def _params(meta, supplied):
    """The stored parameters, with the caller's values for those not stored as sent."""
    if "params" not in meta:
        return None  # sent without parameters: the statement is not %-formatted
    if meta.get("params_cut"):
        raise Refused(
            f"The query had more parameters than the {len(meta['params'])} stored "
            "(SQL_PARAMS_MAX_COUNT); it cannot be explained."
        )
    stored = meta["params"]
    named = isinstance(stored, dict)
    params = dict(stored) if named else list(stored)
    for key, value in supplied.items():
        params[_slot(key, params, named)] = value
    given = {str(key) for key in supplied}
    for withheld in meta.get("params_withheld", []):
        if str(withheld) not in given:
            raise Refused(
                f"EXPLAIN needs the real value of parameter {withheld} (it was stored masked "
                "or cut): supply it in params.",
                "param_withheld",
            )
    return params


def _slot(key, params, named):
    if named:
        if key not in params:
            raise Refused(f"The query has no parameter named {key!r}.", "invalid_params")
        return key
    if not str(key).isdigit() or not 1 <= int(key) <= len(params):
        reason = f"Parameter {key!r}: positions run from 1 to {len(params)}."
        raise Refused(reason, "invalid_params")
    return int(key) - 1


def _run(connection, statement, params):
    """``(columns, rows)`` of the plan, in a transaction that is always rolled back."""
    timeout_ms = int(flowscope_settings.EXPLAIN_TIMEOUT_MS)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        try:
            with _limited(connection, cursor, timeout_ms) as explain:
                cursor.execute(f"{explain} {statement}", params)
                columns = [column[0] for column in cursor.description or ()]
                rows = [[_cell(value) for value in row] for row in cursor.fetchall()]
        finally:  # marked once done: a block marked for rollback takes no query
            transaction.set_rollback(True, using=connection.alias)
    return columns, rows


@contextmanager
def _limited(connection, cursor, timeout_ms):
    """The EXPLAIN keyword of this backend, with its time limit set while it runs."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL transaction_read_only = on")
        cursor.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
        yield "EXPLAIN"
    elif connection.vendor == "mysql" and connection.mysql_is_mariadb:
        _read_only_mysql(connection, cursor)
        yield f"SET STATEMENT max_statement_time = {timeout_ms / 1000} FOR EXPLAIN"
    elif connection.vendor == "mysql":
        _read_only_mysql(connection, cursor)
        cursor.execute("SELECT @@SESSION.max_execution_time")
        (before,) = cursor.fetchone()
        cursor.execute(f"SET SESSION max_execution_time = {timeout_ms}")
        try:
            yield "EXPLAIN"
        finally:
            cursor.execute(f"SET SESSION max_execution_time = {int(before)}")
    elif connection.vendor == "sqlite":
        deadline = time.monotonic() + timeout_ms / 1000
        raw = connection.connection
        raw.set_progress_handler(lambda: time.monotonic() > deadline, SQLITE_CHECK_EVERY)
        try:
            yield "EXPLAIN QUERY PLAN"
        finally:
            raw.set_progress_handler(None, 0)
    else:
        raise Refused(f"EXPLAIN is not supported on {connection.vendor}.")


def _read_only_mysql(connection, cursor):
    """The transaction about to start is read-only: only possible before its first
    statement, so not inside a caller's transaction (which the rollback still covers)."""
    if not connection.savepoint_ids:
        cursor.execute("SET TRANSACTION READ ONLY")


def _cell(value):
    return value if value is None or isinstance(value, str | int | float) else str(value)


def _text(vendor, rows):
    """The plan as text where the backend gives one: PostgreSQL's lines, SQLite's tree."""
    if vendor == "postgresql":
        return "\n".join(str(row[0]) for row in rows)
    if vendor == "sqlite":  # (id, parent, notused, detail)
        depth = {0: -1}
        lines = []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + str(detail))
        return "\n".join(lines)
    return None
