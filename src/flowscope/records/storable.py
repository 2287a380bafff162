"""Text that every store can hold, in every record that leaves the process.

PostgreSQL takes no NUL character in text or JSON, and nothing that encodes UTF-8 (the
database drivers, the Redis stream's MessagePack, the spool) takes a lone surrogate, which
Python gives for a JSON escape such as ``"\\ud800"`` or a file name that is not UTF-8. One
such character would fail the write of a whole batch, so preparation ends here: each is
replaced by U+FFFD, and the step, error or workflow it was in says how many were replaced
(``replaced_characters``), so that what was stored is not taken for what was sent.

Almost no record needs it, so whether one does is asked first, of one JSON encoding of the
whole record in C (it refuses a lone surrogate and writes NUL as ``\\u0000``); only then is
the record walked.
"""

import re

import msgspec

from flowscope.records.trace import CapturedError

NOTE = "replaced_characters"
REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_probe = msgspec.json.Encoder(enc_hook=str)


def repair(record):
    """``record`` (changed in place) with no character a store refuses; returned."""
    if _storable(record):
        return record
    if isinstance(record, CapturedError):
        _repair_error(record)
        return record
    for span in record.all_spans():
        _repair_span(span)
    for error in record.errors:
        _repair_error(error)
    record.workflow_metadata = _noted(record.workflow_metadata, _texts(record, "workflow_type"))
    return record


def _storable(record):
    try:
        return b"\\u0000" not in _probe.encode(record)
    except Exception:  # a lone surrogate (UnicodeEncodeError), or a value JSON cannot hold
        return False


def _repair_span(span):
    replaced = _texts(span, "name", "span_id", "parent_span_id", "status")
    span.metadata = _noted(span.metadata, replaced)


def _repair_error(error):
    replaced = _texts(error, "error_type", "message", "span_id", "severity")
    error.stack_trace, in_stack = repaired(error.stack_trace)
    error.request_context = _noted(error.request_context, replaced + in_stack)


def _texts(struct, *names):
    """Repair the named text fields of ``struct``; how many characters were replaced."""
    replaced = 0
    for name in names:
        text, count = _UNSTORABLE.subn(REPLACEMENT, getattr(struct, name))
        if count:
            setattr(struct, name, text)
            replaced += count
    return replaced


def _noted(metadata, replaced_elsewhere):
    """``metadata`` repaired, with the note when anything of its owner was replaced."""
    metadata, replaced = repaired(metadata)
    replaced += replaced_elsewhere
    if replaced:
        metadata[NOTE] = metadata.get(NOTE, 0) + replaced
    return metadata


def repaired(value):
    """``(value, replaced)``: a JSON-like value whose text a store can hold (a copy where
    anything was replaced), and how many characters were replaced."""
    if isinstance(value, str):
        return _UNSTORABLE.subn(REPLACEMENT, value)
    if isinstance(value, dict):
        replaced, items = 0, {}
        for key, item in value.items():
            key, in_key = repaired(key)
            items[key], in_item = repaired(item)
            replaced += in_key + in_item
        return (items, replaced) if replaced else (value, 0)
    if isinstance(value, list | tuple):
        pairs = [repaired(item) for item in value]
        replaced = sum(count for _, count in pairs)
        return ([item for item, _ in pairs], replaced) if replaced else (value, 0)
    return value, 0
