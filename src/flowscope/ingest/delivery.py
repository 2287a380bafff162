"""Idempotency keys for what an ingest request delivers, so that a retried request (the
same body again, or the same ``Idempotency-Key``) is stored once: the writer skips a
record whose key it has written before (``recording.writer``)."""

import hashlib

HEADER = "Idempotency-Key"


def digest(ingest_key, body, idempotency_key=None):
    """Names one delivery: the client's ``Idempotency-Key`` when sent, else the body; both
    within the sender's ingest key, so that two senders never share a delivery."""
    hashed = hashlib.sha256(ingest_key.encode() + b"\0")
    if idempotency_key:
        hashed.update(b"header\0" + idempotency_key.encode())
    else:
        hashed.update(b"body\0")
        hashed.update(body)
    return hashed.hexdigest()


def keyed(records, ingest_key, body, idempotency_key=None):
    """Give each record the key ``ingest:<digest>:<position in the request's records>``."""
    name = digest(str(ingest_key), body, idempotency_key)
    for index, record in enumerate(records):
        record.idempotency_key = f"ingest:{name}:{index}"
    return records
