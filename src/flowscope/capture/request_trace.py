"""What one request contributes to its workflow: begun before the view, finished after.

Everything that leaves the request for the store is scrubbed here, before it is queued.
"""

import json

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty

from flowscope.capture import errors, workflows
from flowscope.conf import flowscope_settings
from flowscope.records import correlation
from flowscope.records.scrubbing import (
    FILTERED,
    is_sensitive_key,
    scrub,
    scrub_body,
    scrub_headers,
    scrub_query_string,
    scrub_text,
)
from flowscope.records.trace import Span, Trace

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_ERROR_DETAIL = 500


def is_traced_path(path):
    ignored = [*flowscope_settings.INTERNAL_PATHS, *flowscope_settings.IGNORE_PATHS]
    static = settings.STATIC_URL
    if static:
        ignored.append(static if static.startswith("/") else f"/{static}")
    return not any(path.startswith(prefix) for prefix in ignored)


def begin(request):
    """A new ``Trace`` for the request, or None when it is not to be traced."""
    if not flowscope_settings.ENABLED or not is_traced_path(request.path):
        return None
    correlation_id, remote_parent, problem = correlation.resolve(request.headers)
    root = Span(layer="api", name=f"{request.method} {request.path}", parent_span_id=remote_parent)
    trace = Trace(
        correlation_id=correlation_id,
        trace_id=correlation.trace_id_for(correlation_id),
        root=root,
        max_steps=flowscope_settings.MAX_STEPS_PER_REQUEST,
        sampled=correlation.is_sampled(correlation_id, flowscope_settings.SAMPLE_RATE),
        workflow_type=correlation.workflow_type_from_header(request.headers.get("X-Workflow-Type")),
    )
    trace.workflow_metadata = {
        "client_ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.headers.get("User-Agent", "")[:300],
        **scrub(problem or {}),
    }
    root.metadata["raw_body"] = _read_body(request)
    return trace


def _read_body(request):
    """Read a small text body now, so the view still gets all of it (Django keeps it), and
    return it; a large, multipart or binary body is not read: only its size is noted."""
    if request.method not in BODY_METHODS:
        return None
    size = int(request.META.get("CONTENT_LENGTH") or 0)
    content_type = request.content_type or ""
    if size == 0:
        return None
    if content_type.startswith("multipart/"):
        return f"[multipart {size} bytes]"
    if content_type == "application/octet-stream":
        return f"[binary {size} bytes]"
    if size > 16 * flowscope_settings.MAX_BODY_BYTES:
        return f"[truncated {size} bytes]"
    try:
        return request.body
    except Exception:  # e.g. over DATA_UPLOAD_MAX_MEMORY_SIZE: the view will meet it itself
        return "[body not readable]"


def finish(request, response, trace):
    """Complete the API step from the response, decide the workflow's fate, scrub."""
    root = trace.root
    root.finish()
    root.name = f"{request.method} {_route(request)}"
    status_code = response.status_code
    trace.workflow_type = trace.workflow_type or workflows.type_for(root.name)
    trace.user_id = _user_id(request)
    trace.workflow_metadata["entry_point"] = root.name
    final_step = workflows.completes(trace.workflow_type, root.name)
    raised = any(e.kind == "exception" for e in trace.errors)
    _record_http_errors(trace, response, final_step, raised)
    if status_code < 400 and (final_step or _header_true(request, "X-Workflow-Complete")):
        trace.complete = True
    failed = raised or status_code >= 500 or (final_step and status_code >= 400)
    root.status = "error" if failed else "ok"
    _describe(request, response, trace)
    _flag_repeated_queries(trace)
    _scrub_errors(trace, root.metadata)
    trace.closed = True


def add_response_headers(response, trace):
    response["X-Correlation-ID"] = trace.correlation_id
    response["traceparent"] = correlation.traceparent(
        trace.trace_id, trace.root.span_id, trace.sampled
    )


def _route(request):
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return "<unresolved>"
    return "/" + match.route.lstrip("^").rstrip("$")


def _user_id(request):
    """The user's id if authentication already ran; never triggers a query of its own."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def _header_true(request, name):
    return request.headers.get(name, "").strip().lower() in {"1", "true", "yes"}


def _record_http_errors(trace, response, final_step, raised):
    status_code = response.status_code
    if (status_code >= 500 and not raised) or (final_step and 400 <= status_code < 500):
        errors.record_http_error(
            trace, status_code, response.reason_phrase, _error_detail(response)
        )


def _error_detail(response):
    """The ``detail`` of a JSON error answer (DRF's convention), if there is one."""
    if getattr(response, "streaming", False) or "json" not in response.get("Content-Type", ""):
        return ""
    try:
        body = json.loads(response.content[:65536])
    except ValueError:
        return ""
    detail = body.get("detail", "") if isinstance(body, dict) else ""
    return str(detail)[:MAX_ERROR_DETAIL]


def _describe(request, response, trace):
    meta = trace.root.metadata
    raw_body = meta.pop("raw_body", None)
    meta.update(
        method=request.method,
        path=_safe_path(request),
        route=trace.root.name.split(" ", 1)[1],
        status_code=response.status_code,
        query_count=trace.query_count,
        query=scrub_query_string(request.META.get("QUERY_STRING", "")),
        request_headers=scrub_headers(dict(request.headers)),
        response_size=None if getattr(response, "streaming", False) else len(response.content),
        content_type=response.get("Content-Type", ""),
    )
    if raw_body is not None:
        meta["request_body"] = (
            raw_body
            if isinstance(raw_body, str)
            else scrub_body(raw_body, request.content_type or "")
        )
    if _keep_response_body(response):
        meta["response_body"] = scrub_body(response.content, response.get("Content-Type", ""))
    if trace.dropped_steps:
        meta["dropped_steps"] = trace.dropped_steps
    if trace.dropped_errors:
        meta["dropped_errors"] = trace.dropped_errors


def _safe_path(request):
    """The path with the values of sensitive URL parameters (``<token>``) masked."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name, value in match.kwargs.items() if match else ():
        if is_sensitive_key(name) and str(value):
            path = path.replace(str(value), FILTERED)
    return scrub_text(path)


def _keep_response_body(response):
    mode = flowscope_settings.CAPTURE_RESPONSE_BODIES
    if getattr(response, "streaming", False) or mode == "none":
        return False
    return mode == "all" or response.status_code >= 400


def _flag_repeated_queries(trace):
    threshold = flowscope_settings.N_PLUS_ONE_THRESHOLD
    repeated = {sql: count for sql, count in trace.sql_counts.items() if count >= threshold}
    if not repeated:
        return
    findings = [
        {"sql": sql, "count": count, "call_site": trace.sql_call_sites.get(sql)}
        for sql, count in sorted(repeated.items(), key=lambda item: -item[1])
    ]
    for span in trace.spans:
        if span.layer == "database" and span.metadata["sql"] in repeated:
            span.metadata["repeated"] = True
    trace.root.metadata["n_plus_one"] = findings


def _scrub_errors(trace, request_metadata):
    context_keys = (
        "method",
        "path",
        "route",
        "status_code",
        "query",
        "request_headers",
        "request_body",
    )
    request_context = {key: request_metadata.get(key) for key in context_keys}
    for error in trace.errors:
        error.message = scrub_text(error.message)
        error.request_context = {**error.request_context, **request_context}
    for span in trace.spans:
        if span.layer in ("custom", "external"):  # metadata given by the host's own code
            span.metadata = scrub(span.metadata)
        elif "error" in span.metadata:
            span.metadata["error"] = scrub_text(span.metadata["error"])
