"""Correlation IDs, W3C trace context and the per-workflow sampling decision."""

import hashlib
import random
import re

from django.http.cookie import parse_cookie

CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
WORKFLOW_TYPE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# The browser SDK's journey id: one per browser session, sent as a header and a cookie.
JOURNEY_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
JOURNEY_HEADER = "X-Flowscope-Journey"
JOURNEY_COOKIE = "flowscope_journey"
# W3C Trace Context: lowercase hex only. A later version may append fields ("-..."),
# version 00 may not; version ff is invalid.
TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
HEX_TRACE_ID = re.compile(r"[0-9a-f]{32}")


def new_correlation_id():
    """32 lowercase hex digits: also a valid W3C trace ID. From ``random`` (reseeded in
    each forked child), not the system's entropy: an ID names a workflow, it guards
    nothing, and it is made on every request."""
    return f"{random.getrandbits(128):032x}"


def parse_traceparent(value):
    """``(trace_id, parent_span_id)`` from a W3C ``traceparent`` header, or None for an
    invalid one (uppercase hex, an all-zero ID, version ff, wrong lengths): the request
    then starts a new trace, as the specification asks."""
    match = TRACEPARENT.fullmatch((value or "").strip())
    if not match:
        return None
    version, trace_id, span_id, _flags, more = match.groups()
    if version == "ff" or (version == "00" and more is not None):
        return None
    if set(trace_id) == {"0"} or set(span_id) == {"0"}:
        return None
    return trace_id, span_id


def resolve(given, traceparent_header):
    """Pick the request's correlation ID from its ``X-Correlation-ID`` and ``traceparent``
    headers (either may be None).

    Returns ``(correlation_id, remote_parent_span_id, problem)``: an invalid
    ``X-Correlation-ID`` is never an error for the app's user; it is replaced by a fresh ID
    and described in ``problem`` so the dashboard can show it.
    """
    parsed = parse_traceparent(traceparent_header)
    problem = None
    if given is not None:
        if CORRELATION_ID.fullmatch(given):
            # A traceparent of the same trace names the caller's span (a browser fetch).
            same_trace = parsed and parsed[0] == trace_id_for(given)
            return given, parsed[1] if same_trace else "", None
        problem = {"invalid_correlation_id": given[:100]}
    if parsed:
        return parsed[0], parsed[1], problem
    return new_correlation_id(), "", problem


def trace_id_for(correlation_id):
    """The W3C trace ID that stands for a correlation ID in ``traceparent``."""
    if HEX_TRACE_ID.fullmatch(correlation_id):
        return correlation_id
    return hashlib.sha256(correlation_id.encode()).hexdigest()[:32]


def traceparent(trace_id, span_id, sampled):
    return f"00-{trace_id}-{span_id}-{'01' if sampled else '00'}"


def is_sampled(correlation_id, rate):
    """The same answer for every request of a workflow, in every process."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    digest = hashlib.blake2b(correlation_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < rate


def workflow_type_from_header(value):
    return value if value and WORKFLOW_TYPE.fullmatch(value) else ""


def journey_from(header, cookies):
    """The journey id of a request: its ``X-Flowscope-Journey`` header (fetches), else its
    ``flowscope_journey`` cookie (page renders); "" when neither holds a valid one.
    ``cookies`` is the raw Cookie header: parsed only when the header is missing."""
    if header is not None:
        return header if JOURNEY_ID.fullmatch(header) else ""
    if not cookies or JOURNEY_COOKIE not in cookies:
        return ""
    value = parse_cookie(cookies).get(JOURNEY_COOKIE, "")
    return value if JOURNEY_ID.fullmatch(value) else ""
