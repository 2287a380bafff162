"""What one request contributes to its workflow: begun before the view, finished after.

Only what cannot be had later is taken here; the request is described and scrubbed from
its ``RequestFacts`` by ``records.preparation``, off the request path, before anything
leaves the process.
"""

import functools
import json

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import SimpleLazyObject, empty

from flowscope import mount
from flowscope.capture import errors, workflows
from flowscope.conf import flowscope_settings
from flowscope.records import correlation
from flowscope.records.scrubbing import scrub
from flowscope.records.trace import RequestFacts, Span, Trace
from flowscope.synthetic import is_synthetic, synthetic_marks

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_ERROR_DETAIL = 500


@functools.cache  # read on every request; forgotten when the settings change
def _ignored_prefixes():
    ignored = [*mount.internal_prefixes(), *flowscope_settings.IGNORE_PATHS]
    static = settings.STATIC_URL
    if static:
        ignored.append(static if static.startswith("/") else f"/{static}")
    return tuple(ignored)


def is_traced_path(path):
    return not path.startswith(_ignored_prefixes())


@receiver(setting_changed)
def _forget_prefixes(*, setting, **kwargs):
    if setting in ("FLOWSCOPE", "STATIC_URL", "ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        _ignored_prefixes.cache_clear()


def begin(request):
    """A new ``Trace`` for the request, or None when it is not to be traced. Headers are
    read from ``META`` as the server gave them: building ``request.headers`` would cost more
    than the rest of this."""
    # The mount is found from the URLconf's root, settings name full paths: both are asked
    # (they are one string unless the project is served under a SCRIPT_NAME).
    if not flowscope_settings.ENABLED or not is_traced_path(request.path):
        return None
    if request.path_info != request.path and not is_traced_path(request.path_info):
        return None
    meta = request.META
    given = meta.get("HTTP_X_CORRELATION_ID")
    traceparent = meta.get("HTTP_TRACEPARENT")
    correlation_id, remote_parent, problem = correlation.resolve(given, traceparent)
    root = Span(layer="api", name=f"{request.method} {request.path}", parent_span_id=remote_parent)
    trace = Trace(
        correlation_id=correlation_id,
        trace_id=correlation.trace_id_for(correlation_id),
        root=root,
        # A valid X-Correlation-ID is the one taken; a traceparent always names a parent.
        correlation_given=correlation_id == given or bool(remote_parent),
        max_steps=flowscope_settings.MAX_STEPS_PER_REQUEST,
        sampled=correlation.is_sampled(correlation_id, flowscope_settings.SAMPLE_RATE),
        workflow_type=correlation.workflow_type_from_header(meta.get("HTTP_X_WORKFLOW_TYPE")),
        journey_id=correlation.journey_from(
            meta.get("HTTP_X_FLOWSCOPE_JOURNEY"), meta.get("HTTP_COOKIE")
        ),
        release=flowscope_settings.RELEASE,
    )
    trace.workflow_metadata = {
        "client_ip": meta.get("REMOTE_ADDR", ""),
        "user_agent": meta.get("HTTP_USER_AGENT", "")[:300],
    }
    if is_synthetic():  # a manual test run: told apart from real traffic where stored
        trace.workflow_metadata.update(synthetic=True, **synthetic_marks())
    if problem:
        trace.workflow_metadata.update(scrub(problem))
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
    if status_code < 400 and (final_step or _header_true(request, "HTTP_X_WORKFLOW_COMPLETE")):
        trace.complete = True
    if trace.workflow_metadata.get("single_request"):  # a console's one-request test
        trace.complete = True
    failed = raised or status_code >= 500 or (final_step and status_code >= 400)
    root.status = "error" if failed else "ok"
    trace.facts = _facts(request, response, root.metadata.pop("raw_body", None))
    trace.closed = True


def add_response_headers(response, trace):
    response["X-Correlation-ID"] = trace.correlation_id
    response["traceparent"] = correlation.traceparent(
        trace.trace_id, trace.root.span_id, trace.sampled
    )
    if response.get("Content-Type", "").startswith("text/html"):
        # The one header of a page's own request its scripts can read: the browser SDK
        # puts the page's load timings into the workflow of the render.
        timing = f'flowscope;desc="{trace.correlation_id}"'
        earlier = response.get("Server-Timing")
        response["Server-Timing"] = f"{earlier}, {timing}" if earlier else timing


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


def _header_true(request, meta_name):
    return request.META.get(meta_name, "").strip().lower() in {"1", "true", "yes"}


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


def _facts(request, response, body):
    streaming = getattr(response, "streaming", False)
    match = getattr(request, "resolver_match", None)
    return RequestFacts(
        method=request.method,
        path=request.path,
        path_values=match.kwargs if match else {},
        query_string=request.META.get("QUERY_STRING", ""),
        headers=request.META,  # its headers are picked out when prepared
        body=body,
        content_type=request.content_type or "",
        status_code=response.status_code,
        response_type=response.get("Content-Type", ""),
        response_size=None if streaming else len(response.content),
        response_body=response.content if _keep_response_body(response) else None,
    )


def _keep_response_body(response):
    mode = flowscope_settings.CAPTURE_RESPONSE_BODIES
    if getattr(response, "streaming", False) or mode == "none":
        return False
    return mode == "all" or response.status_code >= 400
