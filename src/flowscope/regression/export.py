"""A captured workflow as a regression test for the host's own suite.

Its requests are the replay's (``manual_testing.replay``: rebuilt from the stored steps,
scrubbed, with what the scrubber masked named); each is sent again in order through
Django's test client and held to what it did when captured: its status, the shape of its
JSON answer where the answer was stored (``analysis.diff.shape``) and its number of queries
(``flowscope.testing.assert_num_queries``, counted as the capture counts them), so that an
N+1 cannot come back unnoticed.

The test is a ``django.test.TransactionTestCase``: both ``manage.py test`` and pytest-django
run it, and its requests run in transactions of their own, as they did in production
(inside ``TestCase``'s transaction every ``atomic`` block would add savepoint queries that
production never ran). Masked values become constants at the top of the file, empty until
the user fills them in; nothing masked is ever written out.

An id an earlier answer created and a later request names (``id_links``: the checkout's
``{"id": 7}``, then ``GET /orders/7/``) is read from the test's own answer
(``f"/api/v1/orders/{answer_4['id']}/"``), with a comment saying so: on the test's database
the row has an id of its own.
"""

import json
import keyword
import re
import textwrap
from dataclasses import dataclass, replace

from flowscope.analysis.diff import shape
from flowscope.manual_testing import id_links, payloads, replay
from flowscope.manual_testing.json_paths import parse
from flowscope.regression.source import INDENT, WIDTH, Call, Code, lines, one_line, string

ANSWER_KEPT = "_truncated"  # a stored answer cut short: no shape to hold it to
CLIENT_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
BODYLESS = ("get", "head", "trace")


@dataclass
class ExportedTest:
    filename: str
    source: str
    content_type: str = "text/x-python"


def export(workflow, steps):
    """The test of ``workflow`` from its stored ``steps`` (``analysis.workflows.steps_of``)."""
    requests = replay.requests_of(steps)
    constants = masked_constants(requests)
    writer = _Writer(workflow, constants, _cache_hits(steps))
    links = _sent_links(requests)
    writer.kept_answers = {link.step for found in links for link in found}
    pairs = zip(replay.request_steps(steps), requests, links, strict=True)
    for number, (step, request, found) in enumerate(pairs, 1):
        writer.request(number, step, request, found)
    kind = _identifier(workflow.workflow_type) or "captured"
    return ExportedTest(f"test_{kind}_{workflow.correlation_id[:8]}.py", writer.module())


def _sent_links(requests):
    """The replay's links, less those to the answer of a request the test does not send."""
    unsent = {
        number
        for number, request in enumerate(requests, 1)
        if request.method.lower() not in CLIENT_METHODS
    }
    return [[k for k in found if k.step not in unsent] for found in id_links.links_of(requests)]


def answer_expression(link, quote='"'):
    """``answer_4["items"][0]["id"]``: the linked field of the test's own answer (its keys
    in single quotes inside an f-string)."""
    keys = "".join(
        f"[{segment['index']}]" if "index" in segment else f"[{_quoted(segment['key'], quote)}]"
        for segment in parse(link.field)
    )
    return f"answer_{link.step}{keys}"


def _quoted(key, quote):
    return f"{quote}{key}{quote}"  # a plain key (id_links reads no other): nothing to escape


def masked_constants(requests):
    """``{name: (CONSTANT, [where it was masked])}`` for every masked value, in the order met;
    a name is one value wherever it was masked, as in a replay."""
    constants = {}
    for request in requests:
        for found in replay.masked_fields([request]):
            name = found["name"]
            if name not in constants:
                constants[name] = (_constant_name(name, constants), [])
            constants[name][1].append(f'{found["where"]} "{name}" of {request.name}')
    return constants


def _whole_number(value):
    """A stored count or status written into the source as a number: an ``int`` and
    nothing else (a stored string would be written out as code)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _constant_name(name, taken):
    constant = _identifier(name).upper() or "VALUE"
    if constant[0].isdigit() or keyword.iskeyword(constant):
        constant = f"VALUE_{constant}"
    used = {c for c, _ in taken.values()}
    unique, number = constant, 2
    while unique in used:
        unique, number = f"{constant}_{number}", number + 1
    return unique


def _identifier(text):
    """``text`` in ASCII letters, digits and ``_`` (``\\w`` would keep letters such as "²"
    that no Python name may hold)."""
    return re.sub(r"\W+", "_", str(text), flags=re.ASCII).strip("_").lower()


def _cache_hits(steps):
    """``{request span id: cache reads that hit}``: the reads under each request."""
    parents = {step.span_id: step.parent_span_id for step in steps}
    requests = {step.span_id for step in steps if step.layer == "api"}
    hits = {}
    for step in steps:
        if step.layer != "cache" or step.metadata.get("hit") is not True:
            continue
        span = step.parent_span_id
        for _ in range(len(parents)):  # up to the request that ran it
            if span in requests or span not in parents:
                break
            span = parents[span]
        if span in requests:
            hits[span] = hits.get(span, 0) + 1
    return hits


class _Writer:
    """The module's text, request by request."""

    def __init__(self, workflow, constants, cache_hits):
        self.workflow = workflow
        self.constants = constants
        self.cache_hits = cache_hits
        self.body = []
        self.imports = {"from django.core.cache import cache", "from django.test import "}
        self.testing = set()
        self.server_errors = False
        self.count = 0
        self.learn_at = None
        self.kept_answers = set()

    def request(self, number, step, request, links=()):
        meta = step.metadata
        self._comment(f"{number}. {request.name}: answered {meta.get('status_code')}.")
        if request.problem or request.method.lower() not in CLIENT_METHODS:
            why = request.problem or "the test client has no method for it."
            self._comment(f"Not sent: {why[0].lower()}{why[1:]}")
            return
        self.count += 1
        self._notes(step)
        for link in links:  # the test's rows get ids of their own
            self.body += comment(f"{link.describe(request)}, here answer_{link.step}.", 2)
        call = self._call(_linked(request, links))
        queries = meta.get("query_count")
        if _whole_number(queries):
            self.testing.add("assert_num_queries")
            self._line(f"with assert_num_queries({queries}):")
            self.body += lines(call, 3, "response = ")
        else:
            self._comment("Its number of queries was not stored.")
            self.body += lines(call, 2, "response = ")
        status = meta.get("status_code")
        if _whole_number(status):
            self._line(f"self.assertEqual(response.status_code, {status})")
        else:
            self._comment("Its status was not stored.")
        self._shape(meta.get("response_body"))
        if number in self.kept_answers:
            self._line(f"answer_{number} = response.json()  # a later request takes its id")
        if self.constants:  # what later values may name; the last answer is named by none
            self.learn_at = len(self.body)
            self._line("values.learn(response)")

    def _notes(self, step):
        status, hits = step.metadata.get("status_code"), self.cache_hits.get(step.span_id)
        if isinstance(status, int) and status >= 500:
            self.server_errors = True
            self._comment("It failed then: once fixed, expect the answer it should give.")
        if hits:
            self._comment(
                f"It found {hits} value{'s' if hits > 1 else ''} in the cache then: the "
                "test's cache starts empty, which may cost it more queries."
            )

    def _call(self, request):
        method = request.method.lower()
        args = [request.path]
        body = self._filled(request.body, "body")
        if method not in BODYLESS and request.body is not None:
            args += self._body(body, request)
        if request.query:
            query = {n: self._filled(value, n.lower()) for n, value in request.query.items()}
            args.append(("query_params", query))
        if request.headers:
            args.append(("headers", self._headers(request.headers)))
        return Call(f"self.client.{method}", tuple(args))

    def _headers(self, headers):
        """The headers as stored, and those masked as their constants, filled in (and left
        out while empty) by ``values.headers`` at run time."""
        plain = {name: value for name, value in headers.items() if not replay.is_masked(value)}
        masked = {
            name: Code(self.constants[name][0])
            for name, value in headers.items()
            if replay.is_masked(value)
        }
        if not masked:
            return plain
        return Call("values.headers", (plain, masked) if plain else (masked,))

    def _body(self, body, request):
        content_type = request.content_type.split(";")[0].strip()
        if payloads.JSON in content_type and isinstance(body, dict | list):
            return [body, ("content_type", content_type)]
        if payloads.FORM in content_type and isinstance(body, dict):
            self.imports.add("from urllib.parse import urlencode")
            body = Call("urlencode", (body, ("doseq", Code("True"))))
        elif not isinstance(body, str | Code):
            body = Code(string(str(body)))
        return [body, ("content_type", content_type or "application/octet-stream")]

    def _filled(self, value, key):
        """``value`` with each masked leaf replaced by its constant, filled in at run time
        (named as ``replay`` names it: by its key, "body" for the whole body)."""
        if isinstance(value, dict):
            return {k: self._filled(item, str(k).lower()) for k, item in value.items()}
        if isinstance(value, list):
            return [self._filled(item, key) for item in value]
        if replay.is_masked(value):
            return Code(f"values.fill({self.constants[key][0]})")
        return value

    def _shape(self, answer):
        if not isinstance(answer, dict | list) or (
            isinstance(answer, dict) and answer.get(ANSWER_KEPT) is True
        ):
            return
        self.testing.add("json_shape")
        expected = Call("self.assertEqual", (Code("json_shape(response.json())"), shape(answer)))
        self.body += lines(expected, 2)

    def _line(self, text, indent=2):
        self.body.append(f"{INDENT * indent}{text}" if text else "")

    def _comment(self, text):
        if self.body:
            self._line("")
        self.body += comment(text, 2)

    def module(self):
        if self.constants:
            self.testing.add("MaskedValues")
        workflow = self.workflow
        kind = _identifier(workflow.workflow_type) or "captured"
        name = "".join(part.capitalize() for part in kind.split("_"))
        name = f"Workflow{name}" if name[0].isdigit() else name  # a type may start "2fa"
        parts = [
            self._docstring(),
            "",
            *self._imports(),
            "",
            *self._masked(),
            "",
            "",
            f"class {name}WorkflowTest(TransactionTestCase):",
            *self._data_note(),
            "    fixtures = ()",
            "",
            "    def setUp(self):",
            "        cache.clear()  # the requests start as they would on an empty cache",
        ]
        if self.server_errors:
            parts.append("        self.client.raise_request_exception = False  # 5xx: answered")
        parts += ["", f"    def test_{kind}_as_captured(self):"]
        if self.constants:
            parts.append("        values = MaskedValues()")
        body = list(self.body)
        if self.learn_at is not None:
            del body[self.learn_at]
        parts += body or ["        pass"]
        return "\n".join(parts) + "\n"

    def _docstring(self):
        workflow = self.workflow
        when = workflow.started_at.strftime("%Y-%m-%d %H:%M UTC")
        kind = workflow.workflow_type or "captured"
        return (
            f'"""The {kind} workflow {workflow.correlation_id} as flowscope captured it\n'
            f"({when}, {workflow.status}): its {self.count} requests again, in order, each\n"
            "held to its status, the shape of its JSON answer where flowscope stored it, and\n"
            "its number of queries, so that an N+1 cannot come back unnoticed. A count that\n"
            'falls after a fix is updated here.\n"""'
        )

    def _imports(self):
        stdlib = sorted(i for i in self.imports if i.startswith("from urllib"))
        django = sorted(i for i in self.imports if i.startswith("from django"))
        django = [i + "TransactionTestCase" if i.endswith("import ") else i for i in django]
        names = ", ".join(sorted(self.testing, key=lambda name: (name[0].islower(), name)))
        flowscope = [f"from flowscope.testing import {names}"] if names else []
        return [*stdlib, *([""] if stdlib else []), *django, *flowscope]

    def _masked(self):
        if not self.constants:
            return ["# Nothing was masked when the workflow was stored."]
        text = [
            "# Masked when the workflow was stored (flowscope never keeps them): fill in",
            "# a test identity's values. A value may name fields of earlier JSON answers",
            '# ("Token {token}"); a masked header left empty is not sent.',
        ]
        for constant, places in self.constants.values():
            more = f" and {len(places) - 1} more" if len(places) > 1 else ""
            line = f'{constant} = ""  # {one_line(places[0])}{more}'
            short = len(line) <= WIDTH
            text += [line] if short else [*comment(f"{places[0]}{more}:", 0), f'{constant} = ""']
        return text

    def _data_note(self):
        user = self.workflow.user.get_username() if self.workflow.user_id else None
        who = f"the user {user!r} signs in; " if user else ""
        return comment(
            f"The rows the requests expect, as they were when captured ({who}paths and "
            'bodies name rows by id): name your data fixtures here, ("my_data",), or create '
            "them in setUp.",
            1,
        )


def _linked(request, links):
    """``request`` with each linked value an expression reading the test's answer: the
    path an f-string, a query or body value the answer's field itself."""
    if not links:
        return request
    segments = request.path.split("/")
    parts = [json.dumps(s)[1:-1].replace("{", "{{").replace("}", "}}") for s in segments]
    query = {k: list(v) if isinstance(v, list) else v for k, v in request.query.items()}
    body = json.loads(json.dumps(request.body))  # a copy to set expressions in
    for link in links:
        code = Code(answer_expression(link))
        if link.where == "path":
            parts[link.place] = "{" + answer_expression(link, "'") + "}"
        elif link.where == "query":
            name, position = link.place
            if position is None:
                query[name] = code
            else:
                query[name][position] = code
        else:
            place = body
            for key in link.place[:-1]:
                place = place[key]
            place[link.place[-1]] = code
    path = request.path
    if any(link.where == "path" for link in links):
        path = Code('f"' + "/".join(parts) + '"')
    return replace(request, path=path, query=query, body=body)


def comment(text, indent):
    """``text`` as comment lines at ``indent`` levels, wrapped to the line length."""
    margin = f"{INDENT * indent}# "
    return textwrap.wrap(one_line(text), WIDTH, initial_indent=margin, subsequent_indent=margin)
