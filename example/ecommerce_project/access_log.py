"""uvicorn's access log without secrets: ``?card=…&password=…&api_key=…`` in a request line
would otherwise be printed as sent. The request target passes flowscope's scrubber, the one
every stored query string passes, so the log says what flowscope stores and no more."""

import logging

from flowscope.records.scrubbing import scrub_text


class ScrubbedRequestTargets(logging.Filter):
    """For ``uvicorn.access``: masks secret parameters and card numbers in the logged path.

    uvicorn logs ``(client, method, path with query, HTTP version, status)`` as the record's
    arguments; its formatter reads them from there, so they are scrubbed in place.
    """

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(
                scrub_text(arg) if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


def scrub_access_log():
    """Add the filter to uvicorn's access logger (once, however often it is called)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(found, ScrubbedRequestTargets) for found in access.filters):
        access.addFilter(ScrubbedRequestTargets())
