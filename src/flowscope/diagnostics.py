"""Counters of flowscope's own parts, read from memory by the health endpoint.

A part registers a function that returns its counters; the health view reads them by name
without importing the part (the API and the sockets stand side by side), and without the
database, so they can be read while the store is down.
"""

_readers = {}


def register(name, read):
    """``read()`` returns a dict of counters; registering a name again replaces it."""
    _readers[name] = read


def read(name):
    """The counters registered as ``name``, or None when that part is not loaded."""
    reader = _readers.get(name)
    return reader() if reader is not None else None
