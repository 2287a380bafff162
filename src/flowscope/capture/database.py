"""Database steps, through Django's own hook: ``connection.execute_wrappers``.

The wrapper is added to every connection as it is created (``connection_created``) and to
those already open when the collector is installed. Outside a traced request it only calls
through, so the recorder's own writes (in its own thread, with no trace) are never traced.

On the request path a query costs one small record: the SQL text as Django sent it, the
clock, the call site as a code object and line, and a reference to its parameters (a list
or dict copied, as the host may change it afterwards: ``records.sql_params.held``).
Normalizing the SQL, scrubbing the parameters, naming the call site and spotting repeated
queries wait for ``records.preparation``.
"""

import sys

from django.db import connections
from django.db.backends.signals import connection_created

from flowscope.capture import context
from flowscope.capture.collectors import Collector
from flowscope.capture.stacktrace import call_site
from flowscope.conf import flowscope_settings
from flowscope.internal_errors import capture_internal_errors
from flowscope.records.sql_params import held
from flowscope.records.trace import describe_exception

MAX_UNKEPT_QUERIES = 10_000


def trace_query(execute, query, params, many, execution_context):
    trace = context.current_trace()
    if trace is None or sets_up_connection(query):
        return execute(query, params, many, execution_context)
    trace.query_count += 1
    span = _start_span(trace, query, params, many, execution_context) if trace.sampled else None
    if span is None:
        return execute(query, params, many, execution_context)
    try:
        result = execute(query, params, many, execution_context)
    except Exception as exc:
        span.metadata["error"] = describe_exception(exc)
        span.finish("error")
        raise
    span.finish()
    return result


def _start_span(trace, query, params, many, execution_context):
    with capture_internal_errors():
        connection = execution_context["connection"]
        metadata = {"vendor": connection.vendor, "alias": connection.alias, "many": many}
        # executemany's rows may be an iterator the driver consumes: never kept.
        if params is not None and not many and flowscope_settings.CAPTURE_SQL_PARAMS:
            metadata["params"] = held(params)
        site = call_site(skip=3)
        span = context.start_leaf_span(trace, "database", query, metadata, site)
        if span is None and len(trace.unkept_queries) < MAX_UNKEPT_QUERIES:
            trace.unkept_queries.append((query, site))  # still counts for N+1
        return span
    return None


def sets_up_connection(query):
    """Whether ``query`` is the backend's own set-up of a new connection (MySQL's ``SET
    SESSION TRANSACTION ISOLATION LEVEL ...``), which no code of the host ran. The stack is
    looked at only for ``SET`` statements."""
    if not isinstance(query, str) or not query.startswith("SET "):
        return False
    frame = sys._getframe(2)
    for _ in range(8):  # the backend's cursor wrappers between it and this hook
        if frame is None:
            return False
        if frame.f_code.co_name == "init_connection_state":
            return True
        frame = frame.f_back
    return False


def install_on(connection, **kwargs):
    if trace_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(trace_query)


class DatabaseCollector(Collector):
    """Every query of a traced request: its SQL (normalized when stored), duration and
    call site."""

    def install(self):
        """Wraps every connection now open and every one opened later."""
        connection_created.connect(install_on, dispatch_uid="flowscope.capture.database")
        for connection in connections.all(initialized_only=True):
            install_on(connection)

    def uninstall(self):
        connection_created.disconnect(dispatch_uid="flowscope.capture.database")
        for connection in connections.all(initialized_only=True):
            if trace_query in connection.execute_wrappers:
                connection.execute_wrappers.remove(trace_query)
