"""Journeys built by hand for the funnel's tests, written as the writer writes them."""

from datetime import timedelta

from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_trace


class Journeys:
    """Workflows of journeys, each a request or two a minute apart."""

    def __init__(self, origin):
        self.origin = origin  # the first workflow starts 29 minutes before it
        self.minute = 0
        self.count = 0

    def workflow(self, journey, workflow_type, outcome="completed", *, at=None, spans=(), **kw):
        """``outcome``: "completed", "failed" (its error fails it), "recovered" (failed, then
        a retry completed it) or "open" (still in progress)."""
        self.count += 1
        self.minute += 1
        cid = f"{journey}-{self.count}"
        at = at or self.origin + timedelta(minutes=self.minute - 30)
        errors = [make_error(**kw)] if outcome in ("failed", "recovered") else []
        first = make_trace(cid, at=at, workflow_type=workflow_type, errors=errors, spans=spans)
        first.journey_id = journey
        first.complete = outcome == "completed"
        traces = [first]
        if outcome == "recovered":
            retry = make_trace(cid, at=at + timedelta(seconds=5), workflow_type=workflow_type)
            retry.journey_id, retry.complete = journey, True
            traces.append(retry)
        for trace in traces:
            writer.write([trace])
        return cid
