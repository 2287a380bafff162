"""Replay a captured workflow: its requests again, in order, as one manual run.

The requests are rebuilt from what was stored of them (method, path, query, headers and
body, all scrubbed) and sent through a run's worker (``dispatch.start_run``): in-process,
synthetic, rolled back, through the same safety checks as a manual test. What the scrubber
masked is supplied again by name, from ``FLOWSCOPE["REPLAY_VALUES"]`` (the test identity)
or from the values sent with the replay, which win. A value may name fields of earlier
answers of the replay (``"Token {token}"``: the token its own login got back).

An id an earlier answer created and a later request names (``POST .../checkout/`` answers
``{"id": 7}``, then ``GET /orders/7/``) is taken from the replay's own answer instead
(``id_links``): the replay's rows have ids of their own. Each result says what it linked.

A masked body or query value without a value is refused before anything is sent (400,
naming it); a masked header without one is left out (a cookie of the original browser,
say), and the result says so. The headers a proxy sets are never replayed: the replay
arrives from the tester, as a manual test does.
"""

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from flowscope.conf import flowscope_settings
from flowscope.manual_testing import id_links, payloads, proxy_headers, response_body, safety
from flowscope.manual_testing.environ import ManualRequest
from flowscope.manual_testing.templates import MissingValue, render
from flowscope.manual_testing.workflow_run import StepRefused
from flowscope.records.scrubbing import FILTERED, FILTERED_CARD, scrub_text

# Headers of the original request the replay sets itself, or that belong to a transport.
OWN_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "user-agent",
        "x-correlation-id",
        "x-workflow-type",
        "x-workflow-complete",
        "x-flowscope-journey",
        "traceparent",
        "tracestate",
        "connection",
        "accept-encoding",
    }
)
# Bodies the scrubber kept only as a note of their size: there is nothing to send again.
UNSTORED_BODY = ("[multipart ", "[binary ", "[truncated ", "[body not readable]")


class MissingValues(Exception):
    """Masked values with nothing to fill them: ``{name: why}``."""

    def __init__(self, missing):
        super().__init__(", ".join(missing))
        self.missing = missing


@dataclass
class Request:
    """One request of the original, as stored; ``problem`` says why it cannot be sent."""

    name: str
    method: str
    path: str
    query: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    body: object = None
    content_type: str = ""
    problem: str = ""
    answer: object = None  # the stored JSON answer, when stored (CAPTURE_RESPONSE_BODIES)


def is_masked(value):
    return isinstance(value, str) and (FILTERED in value or FILTERED_CARD in value)


def request_steps(steps):
    """The original's request steps, in order."""
    return [step for step in steps if step.layer == "api" and "method" in step.metadata]


def requests_of(steps):
    """The original's requests, in order, from its stored steps."""
    return [_request(step) for step in request_steps(steps)]


def _request(step):
    meta = step.metadata
    headers = {name.lower(): value for name, value in (meta.get("request_headers") or {}).items()}
    content_type = headers.get("content-type", "")
    dropped = OWN_HEADERS | proxy_headers.refused()
    request = Request(
        name=step.name,
        method=meta["method"],
        path=meta["path"] if isinstance(meta.get("path"), str) else "",
        query=meta.get("query") or {},
        headers={k: v for k, v in headers.items() if k not in dropped},
        body=meta.get("request_body"),
        content_type=content_type,
        answer=meta.get("response_body"),
    )
    request.problem = _unsendable(request)
    return request


def _unsendable(request):
    if not request.path:
        return "Its path was not stored."
    if is_masked(request.path):
        return "Its path was masked when stored."
    if problems := safety.path_problems(request.path):  # a URL, //host, ..: never sent
        return " ".join(problems)
    body = request.body
    if isinstance(body, dict) and body.get("_truncated") is True:
        return "Its body was stored cut short."
    if isinstance(body, str):
        if body.startswith(UNSTORED_BODY):
            return f"Its body was not stored ({body})."
        if payloads.JSON in request.content_type or payloads.FORM in request.content_type:
            return "Its body was stored cut short."
    return ""


def masked_fields(requests):
    """Every masked value of the requests: ``{"name", "where", "request"}``, ``name`` being
    what supplies it (the last key of its path in the body, the query parameter, the
    header; in lowercase, as the supplied values are named), in the order met."""
    found = []
    for request in requests:
        if request.problem:
            continue
        found += [("body", name) for name in _masked_names(request.body)]
        query = request.query.items()
        found += [("query", name.lower()) for name, value in query if _any_masked(value)]
        found += [("header", name) for name, value in request.headers.items() if is_masked(value)]
    seen, fields = set(), []
    for where, name in found:
        if (where, name) not in seen:
            seen.add((where, name))
            fields.append({"name": name, "where": where})
    return fields


def _masked_names(value, key=None):
    if isinstance(value, dict):
        return [name for k, item in value.items() for name in _masked_names(item, str(k).lower())]
    if isinstance(value, list):
        return [name for item in value for name in _masked_names(item, key)]
    return [key or "body"] if is_masked(value) else []


def _any_masked(value):
    return any(is_masked(v) for v in value) if isinstance(value, list) else is_masked(value)


def supplied_values(given):
    """The configured values under those ``given`` (names compared in lowercase)."""
    values = {str(k).lower(): v for k, v in flowscope_settings.REPLAY_VALUES.items()}
    values.update({str(k).lower(): v for k, v in given.items()})
    return values


def missing_values(requests, values):
    """``{name: why}`` for masked body and query values that nothing supplies."""
    return {
        f["name"]: f"Masked when stored ({f['where']}); send it in values or set REPLAY_VALUES."
        for f in masked_fields(requests)
        if f["where"] != "header" and f["name"] not in values
    }


def run(requests, values, origin, correlation_id, workflow_type, worker):
    """Send ``requests`` with the masked ``values`` filled in, through ``worker``; the
    result per request. ``MissingValues`` before anything is sent if one is lacking."""
    missing = missing_values(requests, values)
    if missing:
        raise MissingValues(missing)
    headers = {"X-Correlation-ID": correlation_id, "X-Workflow-Type": workflow_type}
    run = _Run(values, origin, headers, worker)
    sendable = [r for r in requests if not r.problem]
    links = id_links.links_of(requests)
    reports = []
    for number, request in enumerate(requests, 1):
        if request.problem:
            reports.append(_report(request, error=request.problem, skipped=True))
            continue
        if request is sendable[-1]:
            headers["X-Workflow-Complete"] = "true"  # the replay ends, rather than times out
        reports.append(run.send(number, request, links[number - 1]))
    return reports


@dataclass
class _Run:
    """What a replay carries from request to request: the fields of its answers that later
    values name (``"Token {token}"``) and each answer, for the ids later requests take."""

    values: dict
    origin: object
    headers: dict
    worker: object
    fields: dict = field(default_factory=dict)
    answers: dict = field(default_factory=dict)

    def send(self, number, request, links):
        stored = request
        request, linked = self.linked(request, links)
        try:
            tested, left_out = _tested(request, self.values, self.fields)
        except (MissingValue, StepRefused) as exc:
            return _report(stored, error=str(exc), linked=linked)
        response = self.worker.send(
            tested,
            self.origin,
            timeout_ms=flowscope_settings.MANUAL_TESTING_TIMEOUT_MS,
            headers=self.headers,
        )
        document = response_body.parsed_json(response)
        if isinstance(document, dict | list):
            self.answers[number] = document
        if isinstance(document, dict):  # what later values may name: "Token {token}"
            self.fields.update(
                {k: v for k, v in document.items() if not isinstance(v, dict | list)}
            )
        return _report(
            stored,
            status_code=response.status_code,
            response_time_ms=round(response.elapsed_ms, 1),
            left_out=left_out,
            linked=linked,
            error=scrub_text(response.error) if response.error else "",
        )

    def linked(self, request, links):
        """``request`` with the ids its ``links`` take from this run's answers, and what
        the result says of each."""
        if not links:
            return request, []
        path, query, body, sent = id_links.linked(request, links, self.answers)
        notes = [_link_note(request, link, value) for link, value in sent]
        return replace(request, path=path, query=query, body=body), notes


def _link_note(request, link, value):
    note = {
        "where": link.where,
        "value": link.value,
        "step": link.step,
        "field": link.field,
        "sent": value if value is not None else link.value,
        "note": link.describe(request),
    }
    if value is None:
        note["note"] += f", which had no {link.field}: the stored value was sent"
    return note


def _report(request, *, error="", skipped=False, **sent):
    report = {"name": request.name, "method": request.method, "path": scrub_text(request.path)}
    report.update(status_code=None, response_time_ms=None, left_out=[], linked=[], skipped=skipped)
    report.update(sent)
    if error:
        report["error"] = error
    return report


def _tested(request, values, answers):
    """The ``ManualRequest`` to send, and the masked headers left out for want of a value."""
    fill = _filler(values, answers)
    headers, left_out = {}, []
    for name, value in request.headers.items():
        if not is_masked(value):
            headers[name] = value
        elif name in values:
            headers[name] = str(fill(name))
        else:
            left_out.append(name)
    query = {name: _filled(value, name.lower(), fill) for name, value in request.query.items()}
    body = _filled(request.body, "body", fill)
    encoded, content_type = payloads.encode(body, request.content_type)
    problems = safety.target_problems(request.path) + safety.header_problems(headers)
    if request.method not in safety.METHODS:  # as a manual test: no TRACE, CONNECT, PROPFIND
        problems.insert(0, f"Method {request.method!r} is not one a manual test sends.")
    if problems:
        raise StepRefused(" ".join(problems))
    tested = ManualRequest(
        method=request.method,
        path=request.path,
        query_string=urlencode(query, doseq=True),
        headers=headers,
        body=encoded,
        content_type=content_type,
    )
    return tested, left_out


def _filler(values, answers):
    def fill(name):
        value = values[name]
        return render(value, answers) if isinstance(value, str) else value

    return fill


def _filled(value, key, fill):
    if isinstance(value, dict):
        return {k: _filled(item, str(k).lower(), fill) for k, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, key, fill) for item in value]
    return fill(key) if is_masked(value) else value


def describe(requests):
    """What the replay would send, for the page's form: scrubbed as stored; ``linked``:
    the ids it takes from the replay's earlier answers."""
    links = id_links.links_of(requests)
    return [
        {
            "name": r.name,
            "method": r.method,
            "path": r.path,
            "body": r.body,
            "problem": r.problem,
            "linked": [link.describe(r) for link in found],
        }
        for r, found in zip(requests, links, strict=True)
    ]
