"""Records that shutdown had no time to write, kept on local disk and written at the next
start.

A process that is told to stop writes what it holds until ``SHUTDOWN_TIMEOUT``; what is left
is prepared (scrubbed) and saved here as one encoded batch file. The next recorder to start
on this machine with the same store claims each file (an atomic rename, so two processes
never both take one), writes its records and deletes it. The folder is ``SPOOL_DIR``, or one
in the system's temporary folder named after the store, so that spooled records only ever
reach the store they were meant for.
"""

import hashlib
import logging
import os
import tempfile
import uuid
from pathlib import Path

import psutil
from django.db import connection

from flowscope.conf import flowscope_settings
from flowscope.records import codec

logger = logging.getLogger("flowscope.recorder")

SUFFIX = ".spool"


def directory():
    configured = flowscope_settings.SPOOL_DIR
    if configured:
        return Path(configured)
    db = connection.settings_dict
    store = "|".join(str(db.get(key) or "") for key in ("ENGINE", "HOST", "PORT", "NAME"))
    digest = hashlib.sha256(store.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"flowscope-spool-{digest}"


def save(records):
    """Write prepared records to a new spool file; its path. Each record is given an
    idempotency key, so that a file written twice (the process writing it died before
    deleting it) is stored once."""
    folder = directory()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{os.getpid()}-{uuid.uuid4().hex}"
    for index, record in enumerate(records):
        record.idempotency_key = record.idempotency_key or f"spool:{name}:{index}"
    partial = folder / f"{name}.partial"
    partial.write_bytes(codec.encode(records))
    final = folder / f"{name}{SUFFIX}"
    os.replace(partial, final)  # a reader never sees half a file
    return final


def claim():
    """``(path, records)`` for each spool file this process managed to claim. A file that
    does not decode is set aside as ``.bad`` (and logged), never retried forever."""
    folder = directory()
    if not folder.is_dir():
        return
    for path in sorted([*folder.glob(f"*{SUFFIX}"), *_abandoned(folder)]):
        claimed = path.with_suffix(f".claimed-{os.getpid()}")
        try:
            os.replace(path, claimed)  # only one process wins the rename
        except FileNotFoundError:
            continue
        try:
            records = codec.decode(claimed.read_bytes())
        except (OSError, codec.DecodeError):
            logger.exception("flowscope could not read the spool file %s", path.name)
            os.replace(claimed, path.with_suffix(".bad"))
            continue
        yield claimed, records


def _abandoned(folder):
    """Files claimed by a process that died before writing them."""
    for path in folder.glob("*.claimed-*"):
        pid = int(path.suffix.rpartition("-")[2] or 0)
        if pid != os.getpid() and not psutil.pid_exists(pid):
            yield path


def release(path):
    """The claimed file's records are written: delete it."""
    path.unlink(missing_ok=True)
