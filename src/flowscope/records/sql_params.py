"""A query's parameters as they are stored: scrubbed and capped, beside its normalized SQL.

Capture keeps a reference to what the driver got (``capture.database``); here, off the
request path, each value becomes JSON. Every value is masked when the statement names
anything sensitive (``"auth_user"."password"``, ``authtoken_token``, ``%(token)s``), since
the text does not always tell which value goes with which name (bulk_update's ``CASE
WHEN``, ``DEFAULT`` among ``VALUES``, an alias, a function around a column); a dict's value
is masked when its key is sensitive; every other value passes the scrubber (card numbers,
secret pairs) and is cut past SQL_PARAM_MAX_LENGTH. The positions of values
stored otherwise than the driver got them (masked, cut, bytes, objects) are listed, so that
EXPLAIN asks for those instead of planning with a mask.

A SELECT's statement, as sent with its placeholders, is kept for EXPLAIN only when no
literal written into it would be masked: the stored statement is exact or absent.
"""

import datetime
import decimal
import functools
import re
import uuid
from typing import NamedTuple

from flowscope.conf import flowscope_settings
from flowscope.records.scrubbing import (
    FILTERED,
    is_sensitive_key,
    mask_card_numbers,
    scrub,
    scrub_text,
)

# A string literal, an escaped percent sign, a positional or a named placeholder.
_VALUE = re.compile(r"'(?:[^']|'')*'|%%|%s|%\((\w+)\)s")
_NAME = r'["`]?(\w+)["`]?'
# What stands before a value compared with a column: `"t"."col" = `, `col IN (%s, `.
_COMPARED = re.compile(
    rf"(?:{_NAME}\.)?{_NAME}\s*(?:=|!=|<>|<=|>=|<|>|\bI?LIKE|\bIN\s*\((?:[^()]*,)?)\s*$",
    re.IGNORECASE,
)
_INSERT = re.compile(
    rf"^\s*INSERT\s+(?:IGNORE\s+)?INTO\s+{_NAME}\s*\(([^)]*)\)\s*VALUES\s*", re.IGNORECASE
)
_TARGET = re.compile(rf"^\s*(?:UPDATE|INSERT\s+(?:IGNORE\s+)?INTO|DELETE\s+FROM)\s+{_NAME}", re.I)
_LOOK_BACK = 200  # characters before a value searched for its column
_CARD_SIZED = 10**12  # a smaller integer has too few digits to be a card number
EXACT_TYPES = (str, datetime.date, datetime.time, decimal.Decimal, uuid.UUID)


class Shape(NamedTuple):
    """The literals written into the SQL, and whether one is compared with or set to a
    sensitive column."""

    literals: tuple
    secret_literal: bool


def held(params):
    """The driver's parameters as kept until the writer, on the request path: a tuple
    (what Django's ORM passes; its items are ints, strings, dates...) is kept as is; a list
    or dict, which the host may change after the query, is copied shallowly — a list only
    as far as it will be stored (one more, to know that there were more)."""
    if type(params) is tuple:
        return params
    if isinstance(params, list):
        return tuple(params[: flowscope_settings.SQL_PARAMS_MAX_COUNT + 1])
    if isinstance(params, dict):
        return dict(params)
    return None  # an iterator or anything else is not worth the risk of consuming it


def store(sql, metadata):
    """``metadata["params"]`` (as ``held`` kept them) replaced by what is stored, with
    ``params_withheld`` (1-based positions or names EXPLAIN cannot use as stored) and
    ``params_cut`` (more were sent than SQL_PARAMS_MAX_COUNT) when there are any."""
    params = metadata["params"]
    # A statement that names a secret anywhere (a column, a table, an alias's table) has
    # all its values masked: which value goes with which name is not always knowable from
    # the text (bulk_update's CASE WHEN, DEFAULT among VALUES, functions around columns).
    everything = _names_a_secret(sql, _scrub_keys())
    if isinstance(params, dict):
        pairs = [(name, everything or _is_secret_name(name)) for name in params]
    else:
        cap = flowscope_settings.SQL_PARAMS_MAX_COUNT
        if len(params) > cap:
            params, metadata["params_cut"] = params[:cap], True
        pairs = [(i, everything) for i in range(len(params))]
    stored, withheld = {}, []
    limit = flowscope_settings.SQL_PARAM_MAX_LENGTH
    for key, secret in pairs:
        value, exact = (FILTERED, False) if secret else _stored(params[key], limit)
        stored[key] = value
        if not exact:
            withheld.append(key if isinstance(key, str) else key + 1)
    metadata["params"] = stored if isinstance(params, dict) else list(stored.values())
    if withheld:
        metadata["params_withheld"] = withheld


def explainable(sql):
    """The statement as sent, when every literal written into it may be stored as is."""
    if len(sql) > flowscope_settings.MAX_TEXT_LENGTH:
        return None
    return sql if _explainable_with(sql, _scrub_keys()) else None


@functools.lru_cache(maxsize=1024)  # as _shape_with: the same SQL text, again and again
def _explainable_with(sql, scrub_keys):
    shape = _shape_with(sql, scrub_keys)
    if shape.secret_literal or mask_card_numbers(sql) != sql:
        return False
    return all(scrub_text(literal) == literal for literal in shape.literals)


def _stored(value, limit):
    """``(stored value, whether it is the value the driver got)``."""
    if value is None or type(value) is bool:
        return value, True
    if type(value) is int and -_CARD_SIZED < value < _CARD_SIZED:  # most of them: ids
        return value, True
    if isinstance(value, int | float):
        stored = scrub(value)  # a card number sent as an int; NaN as text
        return stored, stored == value
    if isinstance(value, bytes | bytearray | memoryview):
        return f"[{len(bytes(value))} bytes]", False
    text = value if isinstance(value, str) else str(value)
    stored = scrub_text(text, limit=limit)
    return stored, stored == text and isinstance(value, EXACT_TYPES)


def _scrub_keys():
    keys = flowscope_settings.SCRUB_KEYS or ()
    return (keys,) if isinstance(keys, str) else tuple(keys)


# Django sends the same SQL text again and again; SCRUB_KEYS is in the key, so that a change
# of them is seen.
@functools.lru_cache(maxsize=1024)
def _shape_with(sql, scrub_keys):
    insert = _INSERT.match(sql)
    target = _TARGET.match(sql)
    table = target[1] if target else None
    columns = [c.strip(' "`') for c in insert[2].split(",")] if insert else []
    literals, secret_literal = [], False
    inserted = 0
    for value in _VALUE.finditer(sql):
        text = value[0]
        if text == "%%":
            continue
        column = _compared_column(sql, value.start(), table)
        if column is None and insert and value.start() >= insert.end() and columns:
            column = (table, columns[inserted % len(columns)])
        if insert and value.start() >= insert.end():
            inserted += 1
        if text.startswith("'"):
            literals.append(text[1:-1])
            secret_literal = secret_literal or (
                column is not None and any(map(_is_secret_name, column))
            )
    return Shape(tuple(literals), secret_literal)


_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A SELECT's column list, up to its first FROM: what it reads is not compared with a value
# (Django lists "auth_user"."password" in every query of users).
_SELECTED = re.compile(r"^\s*SELECT\b.*?\bFROM\b", re.IGNORECASE | re.DOTALL)


@functools.lru_cache(maxsize=1024)
def _names_a_secret(sql, scrub_keys):
    """Whether any identifier of the statement, outside its string literals and the
    column list of a SELECT, is sensitive."""
    text = _SELECTED.sub("FROM", _STRING_LITERAL.sub("''", sql), count=1)
    return any(_is_secret_name(word) for word in set(_WORD.findall(text)))


def _compared_column(sql, position, table):
    """``(table, column)`` a value at ``position`` is compared with or set to, if named."""
    found = _COMPARED.search(sql, max(0, position - _LOOK_BACK), position)
    if found is None:
        return None
    return (found[1] or table, found[2])


def _is_secret_name(name):
    return bool(name) and is_sensitive_key(name)
