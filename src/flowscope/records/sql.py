"""SQL normalization: the statement's shape without its values.

Django hands the execute wrapper SQL with ``%s`` placeholders, so parameters never reach
us; literals written into the SQL (numbers, strings, LIMITs) and variable-length ``IN``
lists and multi-row ``VALUES`` are folded too, so that the same query always has the same
normalized text — which is what N+1 detection and per-query rollups group by.
"""

import functools
import re

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w\"])-?\b\d+(?:\.\d+)?\b")
_PLACEHOLDER = re.compile(r"%s|\?|%\(\w+\)s|\$\d+")
_IN_LIST = re.compile(r"\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.IGNORECASE)
_VALUES_ROWS = re.compile(r"(\(\s*\?(?:\s*,\s*\?)*\s*\))(?:\s*,\s*\(\s*\?(?:\s*,\s*\?)*\s*\))+")
_SPACE = re.compile(r"\s+")

MAX_LENGTH = 2000


@functools.lru_cache(maxsize=4096)  # Django sends the same SQL text again and again
def normalize(sql):
    sql = _STRING.sub("?", sql)
    sql = _PLACEHOLDER.sub("?", sql)
    sql = _NUMBER.sub("?", sql)
    sql = _IN_LIST.sub("IN (...)", sql)
    sql = _VALUES_ROWS.sub(r"\1, ...", sql)
    sql = _SPACE.sub(" ", sql).strip()
    return sql[:MAX_LENGTH]


def operation(sql):
    """The statement's verb (SELECT, INSERT, ...), for names and rollups."""
    head = sql.lstrip()[:10].split(None, 1)
    return head[0].upper() if head else ""
