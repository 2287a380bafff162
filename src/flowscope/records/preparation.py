"""From the raw record a request left to the one that is stored: off the request path.

Capture keeps only what cannot be had later (see ``records.trace``). Here, in the
recorder's thread (or before a batch leaves the process for the Redis stream), a trace's
leaf steps get their ids and wall-clock starts, SQL is normalized and its call site named,
repeated queries are flagged, cache keys, errors and the host's own metadata are scrubbed,
errors' frames get their source lines and scrubbed locals, and the request is described
from its ``RequestFacts``. Nothing leaves the process, for the store, the stream or the
spool, before it went through ``prepare``.
"""

import functools
from collections import Counter
from datetime import timedelta

from django.http.request import HttpHeaders

from flowscope.conf import flowscope_settings
from flowscope.records import sql, storable
from flowscope.records.frame_context import prepare_frames
from flowscope.records.frames import call_site_dict
from flowscope.records.scrubbing import (
    FILTERED,
    is_sensitive_key,
    mask_card_numbers,
    scrub,
    scrub_body,
    scrub_headers,
    scrub_query_string,
    scrub_text,
)
from flowscope.records.trace import CapturedError, TaskFacts, Trace, new_span_id

MAX_KEY_LENGTH = 200
ERROR_CONTEXT_KEYS = (
    "method",
    "path",
    "route",
    "status_code",
    "query",
    "request_headers",
    "request_body",
)
TASK_CONTEXT_KEYS = ("task", "task_id", "state", "retries", "queue")


def prepare(record):
    """The record as it is stored (a request's trace is changed in place); other records
    were scrubbed where they were made. Every record's text is then made storable (NUL and
    lone surrogates replaced, and noted: ``records.storable``)."""
    for error in _captured_errors(record):
        prepare_frames(error)
    if isinstance(record, Trace) and record.facts is not None:
        is_task = isinstance(record.facts, TaskFacts)
        _prepare_steps(record)
        describe = _describe_task if is_task else _describe
        describe(record)
        _flag_repeated_queries(record)
        _scrub_errors(record, TASK_CONTEXT_KEYS if is_task else ERROR_CONTEXT_KEYS)
        record.facts = None
    return storable.repair(record)


def _captured_errors(record):
    """The errors this process captured: a request's, a task's or one on its own."""
    if isinstance(record, CapturedError):
        return [record]
    return record.errors if isinstance(record, Trace) else []


def _prepare_steps(trace):
    root = trace.root
    for span in trace.spans:
        if not span.span_id:
            span.span_id = new_span_id()
        if span.started_at is None:
            offset = timedelta(seconds=span.start_clock - root.start_clock)
            span.started_at = root.started_at + offset
        if span.layer == "database":
            _prepare_query(span)
        elif span.layer == "cache":
            _scrub_cache_keys(span.metadata)
        elif span.layer in ("custom", "external", "task"):  # given by the host's own code
            span.metadata = scrub(span.metadata)
        if "error" in span.metadata:
            span.metadata["error"] = scrub_text(span.metadata["error"])


def _prepare_query(span):
    normalized = sql.normalize(span.name)
    span.name = normalized[:500]
    span.metadata.update(
        sql=normalized,
        operation=sql.operation(normalized),
        call_site=call_site_dict(span.call_site) if span.call_site else None,
    )
    span.call_site = None


@functools.lru_cache(maxsize=4096)  # the same keys come back request after request
def safe_cache_key(key):
    key = str(key)
    return FILTERED if is_sensitive_key(key) else mask_card_numbers(key[:MAX_KEY_LENGTH])


def _scrub_cache_keys(metadata):
    if "key" in metadata:
        metadata["key"] = safe_cache_key(metadata["key"])
    if "keys" in metadata:
        metadata["keys"] = [safe_cache_key(key) for key in metadata["keys"]]


def _describe(trace):
    facts, meta = trace.facts, trace.root.metadata
    meta.update(
        method=facts.method,
        path=_safe_path(facts),
        route=trace.root.name.split(" ", 1)[1],
        status_code=facts.status_code,
        query_count=trace.query_count,
        query=scrub_query_string(facts.query_string),
        request_headers=scrub_headers(_headers(facts.headers)),
        response_size=facts.response_size,
        content_type=facts.response_type,
    )
    body = facts.body
    if isinstance(body, bytes):
        body = scrub_body(body, facts.content_type)
    if body is not None:  # else a note such as "[multipart 2048 bytes]"
        meta["request_body"] = body
    if facts.response_body is not None:
        meta["response_body"] = scrub_body(facts.response_body, facts.response_type)
    _note_dropped(trace)


def _describe_task(trace):
    """The task's step from its ``TaskFacts``; never its arguments, which may hold anything."""
    facts, meta = trace.facts, trace.root.metadata
    meta.update(
        task=facts.name,
        task_id=facts.task_id,
        state=facts.state,
        retries=facts.retries,
        queue=facts.queue,
        query_count=trace.query_count,
    )
    if "error" in meta:
        meta["error"] = scrub_text(meta["error"])
    _note_dropped(trace)


def _note_dropped(trace):
    meta = trace.root.metadata
    if trace.dropped_steps:
        meta["dropped_steps"] = trace.dropped_steps
    if trace.dropped_errors:
        meta["dropped_errors"] = trace.dropped_errors


def _headers(meta):
    """The request's headers from its ``META``, named as ``request.headers`` names them."""
    named = ((_header_name(key), value) for key, value in meta.items())
    return {name: value for name, value in named if name is not None}


@functools.lru_cache(maxsize=1024)  # the same few keys in every request's META
def _header_name(meta_key):
    return HttpHeaders.parse_header_name(meta_key)


def _safe_path(facts):
    """The path with the values of sensitive URL parameters (``<token>``) masked."""
    path = facts.path
    for name, value in facts.path_values.items():
        if is_sensitive_key(name) and str(value):
            path = path.replace(str(value), FILTERED)
    return scrub_text(path)


def _flag_repeated_queries(trace):
    queries = [span for span in trace.spans if span.layer == "database"]
    unkept = [(sql.normalize(text), site) for text, site in trace.unkept_queries]
    trace.unkept_queries = []
    counts = Counter(span.metadata["sql"] for span in queries)
    counts.update(text for text, _ in unkept)
    threshold = flowscope_settings.N_PLUS_ONE_THRESHOLD
    repeated = {text: count for text, count in counts.items() if count >= threshold}
    if not repeated:
        return
    first_site = {}
    for span in queries:
        if span.metadata["sql"] in repeated:
            span.metadata["repeated"] = True
            first_site.setdefault(span.metadata["sql"], span.metadata["call_site"])
    for text, site in unkept:
        first_site.setdefault(text, call_site_dict(site) if site else None)
    trace.root.metadata["n_plus_one"] = [
        {"sql": text, "count": count, "call_site": first_site.get(text)}
        for text, count in sorted(repeated.items(), key=lambda item: -item[1])
    ]


def _scrub_errors(trace, context_keys):
    meta = trace.root.metadata
    context = {key: meta.get(key) for key in context_keys}
    for error in trace.errors:
        error.message = scrub_text(error.message)
        error.request_context = {**error.request_context, **context}
