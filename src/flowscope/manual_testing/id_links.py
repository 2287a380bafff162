"""Ids that earlier answers of a workflow created, linked where later requests use them.

A workflow often creates a row and then names it: ``POST /api/v1/orders/checkout/`` answers
``{"id": 7, ...}`` and ``GET /api/v1/orders/7/`` follows. Sent again (a replay, an exported
test on a fresh database) the new row gets another id, and the request sent as stored hits
the old row or a 404. So a value of a later request that equals an id of an earlier stored
answer is replaced, when sent, by that answer's field of the new run.

Only the answers flowscope stored can be read (``CAPTURE_RESPONSE_BODIES``: ``"all"``), only
those of requests that write (``POST``, ``PUT``, ``PATCH``: what creates a row; a row a read
answered was there before the workflow and keeps its id), and the matching is deliberately
narrow, because linking a quantity to an id would send a wrong request where the stored one
was right:

- **the answer's value** sits under an id key (``id``, ``pk``, ``uuid``, ``…_id``,
  ``…_uuid``, ``…Id``) and is an integer, a UUID or a slug-ish string (six characters or
  more of letters, digits, ``-`` and ``_``, one a digit). Tokens are masked when stored and
  never linked: a replay's values name them (``"Token {token}"``).
- **the request's value** is a whole path segment, a whole query value or a JSON body leaf
  equal to it (an integer in the body; its text in a path or query).
- **the names agree**: the name of the request's place — the segment before a path
  segment (``orders`` of ``/orders/7/``), the key in a body or query (``order_id`` and
  ``order`` both name ``order``; a bare ``id`` is named by the key above it, or by its own
  request's path) — is, singular, a name of the answer's field: the key holding it
  (``items`` of ``items[0].id``, ``product`` of ``product_id``) or, for a field at the top
  of the answer, a segment of the answering request's path (``orders`` of
  ``/orders/checkout/``). A product's id read from a login's ``user.id`` is not linked.
- a number under ``SMALL`` in a place not named like an id (``{"item": 2}``) is not linked:
  it is as likely a quantity. In a path segment or an id-named field it is.

The most recent earlier answer with an agreeing field wins; a request that could not be
sent again (its body was not stored) answers nothing to link to.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

from flowscope.manual_testing.json_paths import MISSING, lookup

SMALL = 10
WRITES = frozenset({"POST", "PUT", "PATCH"})
BARE_ID_KEYS = frozenset({"id", "pk", "uuid", "guid"})
_ID_SUFFIX = re.compile(r"(?:_(?:id|pk|uuid)|(?<=[a-z0-9])(?:Id|Uuid|Pk))\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\Z")
_SLUG = re.compile(r"(?=.*\d)[A-Za-z0-9_-]{6,}\Z")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")  # a field path and a Python subscript as it is


@dataclass(frozen=True)
class Link:
    """A value of a request (``where``: ``"path"``, ``"query"`` or ``"body"``, at ``place``:
    a segment's index, ``(parameter, index or None)`` or a body's key path) that is the id
    at ``field`` (a ``json_paths`` path) of the answer of request number ``step``."""

    where: str
    place: object
    value: object
    step: int
    field: str

    def describe(self, request):
        """``path /api/v1/orders/{id}/ uses the id of step 4's answer``."""
        return f"{self.where} {self.shown(request)} uses the id of step {self.step}'s answer"

    def shown(self, request):
        """The place, with the answer's field where the value was."""
        if self.where == "path":
            segments = request.path.split("/")
            segments[self.place] = f"{{{self.field}}}"
            return "/".join(segments)
        if self.where == "query":
            return f"{self.place[0]}={{{self.field}}}"
        return f"{'.'.join(str(key) for key in self.place) or 'body'}={{{self.field}}}"


def is_id_key(key):
    key = str(key)
    return key.lower() in BARE_ID_KEYS or bool(_ID_SUFFIX.search(key))


def is_id_value(value):
    """An integer (or its digits, in a path or query), a UUID or a slug-ish string."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if not isinstance(value, str):
        return False
    return (value.isascii() and value.isdigit()) or bool(_UUID.match(value) or _SLUG.match(value))


def singular(name):
    name = _ID_SUFFIX.sub("", str(name)).lower()
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def links_of(requests):
    """``[[Link]]``, per request of ``requests`` (``replay.Request``, whose ``answer`` is
    the stored answer), the values it takes from earlier answers."""
    answered = []  # (step, ids of its answer), in order
    found = []
    for number, request in enumerate(requests, 1):
        found.append([] if request.problem else list(_links(request, answered)))
        if _creates(request):
            answered.append((number, list(answer_ids(request.answer, request.path))))
    return found


def _creates(request):
    return (
        not request.problem
        and request.method.upper() in WRITES
        and isinstance(request.answer, dict | list)
    )


def answer_ids(document, path):
    """``(field, value, names)`` of each id in an answer, in document order."""
    top = {singular(s) for s in _names_in_path(path)}
    yield from _ids(document, (), top)


def _ids(value, keys, top):
    if isinstance(value, dict):
        if value.get("_truncated") is True:
            return
        for key, item in value.items():
            if not _PLAIN_KEY.match(key):
                continue
            if is_id_key(key) and is_id_value(item):
                holder = [k for k in keys if isinstance(k, str)][-1:]
                names = {singular(holder[0])} if holder else set(top)
                if key.lower() not in BARE_ID_KEYS:
                    names = {singular(key)}  # product_id names a product wherever it sits
                yield _field((*keys, key)), item, names
            else:
                yield from _ids(item, (*keys, key), top)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _ids(item, (*keys, index), top)


def _field(keys):
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else f".{key}" if text else str(key)
    return text


def _names_in_path(path):
    return [s for s in path.split("/") if s and not is_id_value(s)]


def _links(request, answered):
    for where, place, value, names, id_named in _places(request):
        if not is_id_value(value) or _small(value, id_named):
            continue
        link = _most_recent(answered, value, {singular(n) for n in names})
        if link is not None:
            yield Link(where, place, value, *link)


def _small(value, id_named):
    number = value if isinstance(value, int) else None
    if isinstance(value, str) and value.isdigit():
        number = int(value)
    return number is not None and number < SMALL and not id_named


def _most_recent(answered, value, names):
    for step, ids in reversed(answered):
        for field, id_value, field_names in ids:
            if _same(value, id_value) and names & field_names:
                return step, field
    return None


def _same(sent, answered):
    if isinstance(sent, str):  # a path segment or a query value: text
        return sent == str(answered) and not isinstance(answered, bool)
    return type(sent) is type(answered) and sent == answered


def _places(request):
    """``(where, place, value, names, id_named)`` of each value a request sends."""
    segments = request.path.split("/")
    for index, segment in enumerate(segments):
        before = [s for s in segments[:index] if s]
        if segment and before:
            yield "path", index, segment, {before[-1]}, True
    own = set(_names_in_path(request.path))
    for name, value in request.query.items():
        values = value if isinstance(value, list) else [value]
        for position, item in enumerate(values):
            place = (name, position if isinstance(value, list) else None)
            yield "query", place, item, _key_names(name, own), is_id_key(name)
    if isinstance(request.body, dict | list):
        yield from _body_places(request.body, (), own)


def _body_places(value, keys, own):
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                yield from _body_places(item, (*keys, key), own)
            else:
                holder = [k for k in keys if isinstance(k, str)][-1:]
                names = _key_names(key, set(holder) or own)
                yield "body", (*keys, key), item, names, is_id_key(key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _body_places(item, (*keys, index), own)


def _key_names(key, around):
    """What a key names: ``order`` for ``order_id`` and ``order``; for a bare ``id``,
    the names ``around`` it."""
    return set(around) if str(key).lower() in BARE_ID_KEYS else {key}


def linked(request, links, answers):
    """``request``'s path, query and body with each link's value taken from ``answers``
    (``{step: parsed JSON answer}`` of this run), and ``[(link, value sent)]``; a link whose
    answer lacks the field keeps the stored value (sent: ``None``)."""
    path = request.path.split("/")
    query = {k: list(v) if isinstance(v, list) else v for k, v in request.query.items()}
    body = _copy(request.body)
    sent = []
    for link in links:
        answer = answers.get(link.step, MISSING)
        value = MISSING if answer is MISSING else lookup(answer, link.field)
        if value is MISSING or value is None or isinstance(value, dict | list):
            sent.append((link, None))
            continue
        sent.append((link, value))
        if link.where == "path":  # quoted, as a template's value: never another segment
            path[link.place] = quote(str(value), safe="")
        elif link.where == "query":
            name, position = link.place
            text = str(value)
            if position is None:
                query[name] = text
            else:
                query[name][position] = text
        else:
            _set(body, link.place, value)
    return "/".join(path), query, body, sent


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _set(document, keys, value):
    for key in keys[:-1]:
        document = document[key]
    document[keys[-1]] = value
