"""Fingerprints group occurrences of the same error.

Same exception type, same in-app frames (file and function, not line numbers, which move
with every edit) and the same message once numbers, IDs and quoted values are taken out.
A log record without an exception is its logger and its message: its one frame is the line
that logged it, which says where it was logged from (a view, a shell, a worker), not what
it is.
"""

import hashlib
import re

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b(?:0x)?[0-9a-f]{8,}\b", re.I)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def normalize_message(message):
    message = _UUID.sub("<id>", message or "")
    message = _HEX.sub("<hex>", message)
    message = _QUOTED.sub("<str>", message)
    return _NUMBER.sub("<n>", message)[:500]


def fingerprint(error_type, message, frames):
    in_app = [f"{frame['file']}:{frame['function']}" for frame in frames if frame.get("in_app")]
    text = "\n".join([error_type, normalize_message(message), *in_app])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def fingerprint_of(error):
    """The fingerprint of a ``CapturedError``."""
    is_plain_log = error.kind == "log" and error.error_type.startswith("log:")
    frames = () if is_plain_log else error.stack_trace
    return fingerprint(error.error_type, error.message, frames)
