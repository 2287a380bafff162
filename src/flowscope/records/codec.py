"""Prepared records as bytes and back: what the Redis stream carries and what the shutdown
spool keeps on disk. MessagePack through ``msgspec``: compact, fast both ways, and the
struct types are named in it, so a batch may mix traces, browser spans and errors.

Only prepared records are encoded (``records.preparation``): scrubbed, and holding no code
objects or raw request facts. A value msgspec cannot encode (an object a host put in a
step's metadata) is encoded as its ``str``.
"""

import msgspec

from flowscope.records.trace import CapturedError, ExternalSpans, Trace

RECORD_TYPES = Trace | ExternalSpans | CapturedError
DecodeError = msgspec.DecodeError

_encoder = msgspec.msgpack.Encoder(enc_hook=str)
_decoder = msgspec.msgpack.Decoder(list[RECORD_TYPES])


def encode(records):
    """One batch of prepared records as bytes."""
    return _encoder.encode(records)


def decode(data):
    """The records of a batch ``encode`` made; ``DecodeError`` for anything else."""
    return _decoder.decode(data)
