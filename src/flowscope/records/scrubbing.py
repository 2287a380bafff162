"""Scrubbing: what leaves a request for the store must not carry secrets or card numbers.

Everything captured (headers, query strings, bodies, log and exception messages) passes
through here first. The functions are pure and run on every request, so the common case
(nothing sensitive) takes fast paths: a short string is returned as is, key checks are
cached, and a body too big to be worth parsing is never parsed.
"""

import json
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qsl

from flowscope.conf import flowscope_settings

FILTERED = "[Filtered]"
FILTERED_CARD = "[Filtered card]"
TOO_DEEP = "[too deep]"

# Key fragments whose values are masked, matched as substrings of the normalised key,
# except WHOLE_WORD_KEYS: too short to match inside other words ("company", "spinner").
SENSITIVE_KEYS = (
    "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "access_key",
    "private_key", "flowscope_key", "authorization", "auth_header", "cookie", "session",
    "csrf", "card_number", "cardnumber", "credit_card", "ccnumber", "pan", "cvv", "cvc",
    "cvn", "security_code", "pin", "iban", "ssn", "credential", "jwt", "bearer",
)  # fmt: skip
WHOLE_WORD_KEYS = frozenset({"pan", "pin", "ssn"})

_UNPARSED_FACTOR = 16  # bodies over 16 x MAX_BODY_BYTES are not worth parsing
_CACHED_KEY_LENGTH = 100  # longer keys are checked uncached so the cache stays small
_CACHED_HEADER_LENGTH = 256  # a browser's User-Agent fits


# --- keys --------------------------------------------------------------------------------

_CAMEL_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")  # "CSRFToken" -> "CSRF_Token"
_CAMEL_WORD = re.compile(r"([a-z0-9])([A-Z])")  # "cardPin" -> "card_Pin"
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _compact(key: str) -> str:
    return _NOT_ALNUM.sub("", key.lower())


_SUBSTRING_KEYS = re.compile(
    "|".join(re.escape(_compact(k)) for k in SENSITIVE_KEYS if k not in WHOLE_WORD_KEYS)
)
_WORD_KEYS = re.compile(r"(?:^|_)(?:" + "|".join(sorted(WHOLE_WORD_KEYS)) + r")(?:_|$)")


def _extra_keys() -> tuple:
    """SCRUB_KEYS as a hashable tuple (a lone string counts as one key, not its letters)."""
    keys = flowscope_settings.SCRUB_KEYS or ()
    return (keys,) if isinstance(keys, str) else tuple(keys)


def _words(key: str) -> str:
    """``"X-CSRFToken"`` -> ``"x_csrf_token"``: camelCase and any punctuation split words."""
    split = _CAMEL_WORD.sub(r"\1_\2", _CAMEL_ACRONYM.sub(r"\1_\2", key))
    return _NOT_ALNUM.sub("_", split.lower())


def _check_key(key: str, extras: tuple) -> bool:
    # Substrings are matched with separators removed, so "api-key", "apiKey" and
    # "API Key" all hit "apikey"; the short words need whole-word borders.
    compact = _compact(key)
    if _SUBSTRING_KEYS.search(compact) or _WORD_KEYS.search(_words(key)):
        return True
    return any(extra and extra in compact for extra in map(_compact, extras))


_check_key_cached = lru_cache(maxsize=4096)(_check_key)


def _is_sensitive(key, extras: tuple) -> bool:
    key = key if isinstance(key, str) else str(key)
    if len(key) > _CACHED_KEY_LENGTH:
        return _check_key(key, extras)
    return _check_key_cached(key, extras)


def is_sensitive_key(key: str) -> bool:
    """Whether values under ``key`` must be masked (built-in denylist plus SCRUB_KEYS)."""
    return _is_sensitive(key, _extra_keys())


# --- card numbers ------------------------------------------------------------------------

# A run of digits with single spaces or dashes between them, at least 13 digits long.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,}")
_DIGITS = re.compile(r"[0-9]+")
# Cards are written in at most 5 groups (4-4-4-4-3); the bound keeps "1 2 3 4 ..." cheap.
_MAX_CARD_GROUPS = 6
_DROP_DIGITS = str.maketrans("", "", "0123456789")


def _digit_count(text: str) -> int:
    if text.isascii():  # translate is fastest on ASCII, slow on anything else
        return len(text) - len(text.translate(_DROP_DIGITS))
    return sum(map(text.count, "0123456789"))


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and _luhn_ok(digits)


def _card_end(groups: list, start: int):
    """Index of the last group of the longest card starting at ``groups[start]``, or None."""
    digits, found = "", None
    for end in range(start, min(start + _MAX_CARD_GROUPS, len(groups))):
        digits += groups[end].group()
        if len(digits) > 19:
            break
        if _is_card(digits):
            found = end
    return found


def _mask_run(match: re.Match) -> str:
    # A run may hold a card next to other numbers ("qty 2 4242 4242 4242 4242") or two
    # cards, so cards are looked for along the run's digit groups, not the whole run only.
    run = match.group()
    if run.isdigit():
        return FILTERED_CARD if _is_card(run) else run
    groups = list(_DIGITS.finditer(run))
    parts, copied, start = [], 0, 0
    while start < len(groups):
        end = _card_end(groups, start)
        if end is None:
            start += 1
            continue
        parts += [run[copied : groups[start].start()], FILTERED_CARD]
        copied, start = groups[end].end(), end + 1
    return "".join(parts) + run[copied:] if parts else run


def mask_card_numbers(text: str) -> str:
    """Replace card numbers (13-19 digits passing the Luhn check) with ``[Filtered card]``.

    Digit runs failing Luhn (order ids, timestamps, phone numbers) are kept: they are
    what a debugger needs to see.
    """
    if len(text) < 13 or _digit_count(text) < 13:
        return text
    return _DIGIT_RUN.sub(_mask_run, text)


# A card's verification code named in prose ("cvv 7319", "security code is 123"): the word,
# what may stand between it and the code, then 3 or 4 digits standing alone. "cvv=123" and
# "cvv: 123" are secret pairs already; this also takes a space or "is" as separator.
_CARD_CODE = re.compile(
    r"(?P<label>\b(?:cvv2?|cvc2?|cvn|csc|security[ _-]?code|card[ _-]?(?:verification|security)"
    r"(?:[ _-]?(?:code|value|number))?)\b[\s:=#\"'-]*(?:(?:is|was|no\.?|number)\s*[:=#]?\s*)?)"
    r"(?P<code>[0-9]{3,4})(?![0-9])",
    re.IGNORECASE,
)


def mask_card_codes(text: str) -> str:
    """Replace verification codes named in free text (``cvv 7319``) with ``[Filtered]``."""
    if len(text) < 6:
        return text
    return _CARD_CODE.sub(lambda match: match["label"] + FILTERED, text)


def _mask_int(value: int):
    """A card number sent as a JSON number is still a card number."""
    if -(10**12) < value < 10**12:
        return value
    return FILTERED_CARD if _is_card(str(abs(value))) else value


# --- structures --------------------------------------------------------------------------


def _as_text(value) -> str:
    try:
        return str(value)
    except Exception:  # a broken __str__ must not break the request being captured
        return f"<unprintable {type(value).__name__}>"


def storable(text: str) -> str:
    """PostgreSQL stores no NUL character, in text or JSON: one would fail a whole batch."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _scrub_key(key):
    if isinstance(key, str):
        return mask_card_numbers(storable(key))
    if key is None or isinstance(key, int | float):
        return key
    return mask_card_numbers(_as_text(key))


def _scrub(value, depth: int, max_depth: int, extras: tuple):
    if isinstance(value, str):  # "/login?token=..." in a URL value: pairs masked too
        return _scrub_capped(value, extras)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _mask_int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # NaN is not valid JSON
    if isinstance(value, dict | Mapping):
        if depth >= max_depth:
            return TOO_DEEP
        return {
            _scrub_key(key): FILTERED
            if _is_sensitive(key, extras)
            else _scrub(item, depth + 1, max_depth, extras)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        if depth >= max_depth:
            return TOO_DEEP
        return [_scrub(item, depth + 1, max_depth, extras) for item in value]
    return _scrub_capped(_as_text(value), extras)  # a repr may hold "password='...'"


def scrub(value, depth=0):
    """A scrubbed copy of a JSON-like value; the input is never modified.

    Values under sensitive keys become ``[Filtered]`` whatever their type; strings are
    scrubbed as text (secret pairs and card numbers), integers card-masked, tuples become
    lists and other types scrubbed text. At most MAX_BODY_DEPTH levels of containers are
    kept (``value`` being at level ``depth``); deeper ones become ``[too deep]``, which
    also bounds the recursion.
    """
    return _scrub(value, depth, flowscope_settings.MAX_BODY_DEPTH, _extra_keys())


def scrub_headers(headers: Mapping[str, str]) -> dict:
    """Headers with sensitive ones (Authorization, Cookie, X-Api-Key, ...) masked.

    Other values go through ``scrub_text``: a Referer or Location may carry ``?token=...``.
    """
    extras = _extra_keys()
    return {name: _scrub_header(name, _as_text(value), extras) for name, value in headers.items()}


def _scrub_header(name, value, extras):
    if len(value) > _CACHED_HEADER_LENGTH:
        return _scrub_header_value(name, value, extras)
    return _scrub_header_cached(name, value, extras)


def _scrub_header_value(name, value, extras):
    return FILTERED if _is_sensitive(name, extras) else _scrub_text(value, extras)


# Most requests repeat the same Accept, User-Agent and Host: scrubbed once each.
_scrub_header_cached = lru_cache(maxsize=4096)(_scrub_header_value)


def _parse_query(query: str) -> dict:
    params = {}
    for key, value in parse_qsl(query.removeprefix("?"), keep_blank_values=True):
        if key not in params:
            params[key] = value
        elif isinstance(params[key], list):
            params[key].append(value)
        else:
            params[key] = [params[key], value]
    return params


def scrub_query_string(query: str) -> dict:
    """The query string as a scrubbed dict; a repeated key maps to the list of its values."""
    return scrub(_parse_query(query))


# --- free text ---------------------------------------------------------------------------

# A key (optionally quoted, also as \" inside escaped JSON) followed by ":" or "=".
_PAIR = re.compile(
    r"(?<![\w.\[\]-])(?P<quote>\\?[\"']|)(?P<key>[A-Za-z_][\w.\[\]-]*)(?P=quote)"
    r"(?P<sep>[ \t]*[:=][ \t]*)"
)
_QUOTED = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")
# An unquoted value; an auth scheme ("Bearer abc") belongs to it.
_TOKEN = re.compile(
    r"""(?:(?:Bearer|Basic|Digest|Token|Negotiate)[ \t]+)?[^\s&;,)\]}"']*""", re.IGNORECASE
)
_LINE_END = re.compile(r"[ \t]*(?:[\r\n]|$)")
_BRACKET_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _line_end(text: str, pos: int) -> int:
    return _LINE_END.search(text, pos).start()


def _bracket_end(text: str, pos: int) -> int:
    """End of the ``[...]`` or ``{...}`` starting at ``pos``; the text's end if unbalanced.

    Masking all the rest also keeps many unbalanced values from costing quadratic time.
    """
    depth = 0
    for token in _BRACKET_TOKENS.finditer(text, pos):
        char = token.group()
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return token.end()
    return len(text)


def _value_span(text: str, pair: re.Match) -> tuple[int, int, str]:
    """Where the value after ``pair`` starts and ends, and the quotes to keep around it.

    An unterminated quote masks the rest of the line rather than risk leaking it.
    """
    pos = pair.end()
    head = text[pos : pos + 2]
    if head[:1] in ("'", '"'):
        quoted = _QUOTED.match(text, pos)
        return (pos, quoted.end(), head[:1]) if quoted else (pos, _line_end(text, pos), "")
    if head in ('\\"', "\\'"):
        line_end = _line_end(text, pos)
        end = text.find(head, pos + 2, line_end)
        return (pos, end + 2, head) if end >= 0 else (pos, line_end, "")
    if head[:1] in ("[", "{"):
        return pos, _bracket_end(text, pos), ""
    if ":" in pair["sep"] and not pair["quote"]:
        # "Authorization: Bearer abc", "Cookie: a=1; b=2": header-like, the value is the
        # rest of the line.
        return pos, _line_end(text, pos), ""
    return pos, _TOKEN.match(text, pos).end(), ""


def _mask_pairs(text: str, extras: tuple) -> str:
    parts, copied, pos = [], 0, 0
    while pair := _PAIR.search(text, pos):
        pos = pair.end()
        if not _is_sensitive(pair["key"], extras):
            continue  # keep scanning inside the value: it may hold pairs itself
        start, end, quote = _value_span(text, pair)
        if end > start:
            parts += [text[copied:start], quote, FILTERED, quote]
            copied = pos = end
    return "".join(parts) + text[copied:] if parts else text


# Credentials that need no key before them: an auth scheme's token (one with a digit in it,
# so "Basic setup" stays), a JSON Web Token, the password of a URL ("postgres://u:pw@db").
_SCHEME_TOKEN = re.compile(
    r"\b(?P<keep>(?:Bearer|Basic|Digest|Negotiate)[ \t]+)(?=[\w.~+/-]*\d)[\w.~+/-]{8,}=*",
    re.IGNORECASE,
)
_JWT = re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_URL_PASSWORD = re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^\s/:@]+:)[^\s/@]+(?=@)", re.I)


def _mask_credentials(text: str) -> str:
    if "://" in text:
        text = _URL_PASSWORD.sub(rf"\g<keep>{FILTERED}", text)
    if "eyJ" in text:
        text = _JWT.sub(FILTERED, text)
    return _SCHEME_TOKEN.sub(rf"\g<keep>{FILTERED}", text)


def _scrub_text(text: str, extras: tuple) -> str:
    text = storable(text)
    if "=" in text or ":" in text:
        text = _mask_pairs(text, extras)
    return mask_card_codes(mask_card_numbers(_mask_credentials(text)))


def scrub_text(text: str, limit: int | None = None) -> str:
    """Free text (log and exception messages) with card numbers, verification codes and
    secret pairs masked, at most ``limit`` (MAX_TEXT_LENGTH) characters of it.

    ``password=hunter2``, ``"token": "abc"`` and ``Authorization: Bearer abc`` keep their
    key and lose their value; ``cvv 123`` keeps its word and loses its digits.
    """
    return _scrub_capped(text, _extra_keys(), limit)


# --- length ------------------------------------------------------------------------------

_NUMBER_TAIL = "0123456789 -"


def _scrub_capped(text: str, extras: tuple, limit: int | None = None) -> str:
    """``text`` scrubbed, or its first ``limit`` (MAX_TEXT_LENGTH) characters scrubbed and
    how many more there were. Cut before scrubbing (a megabyte of text is not worth its
    regex time), the cut moves back over a trailing number: no part of a card number or
    code is left too short to be masked."""
    limit = flowscope_settings.MAX_TEXT_LENGTH if limit is None else limit
    if len(text) <= limit:
        return _scrub_text(text, extras)
    head = text_head(text, limit)
    return f"{_scrub_text(head, extras)}…[{len(text) - len(head)} more characters]"


def text_head(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text`` from its start, the cut moved back over a
    trailing number: no part of a card number or code is left too short to be masked."""
    return text if len(text) <= limit else text[:limit].rstrip(_NUMBER_TAIL)


# --- bodies ------------------------------------------------------------------------------

# Besides text/*, +xml and JSON; "" (no Content-Type) is tried as text too.
_TEXT_TYPES = frozenset({
    "", "application/xml", "application/javascript", "application/ecmascript",
    "application/graphql", "application/x-ndjson", "application/jsonl",
})  # fmt: skip
_LOOKS_LIKE_JSON = re.compile(r"\s*[\[{]")


def _body_kind(content_type: str):
    """The body kind ("json", "form", "text", "multipart"; None: binary) of a Content-Type."""
    mime = content_type.partition(";")[0].strip().lower()
    if mime == "application/json" or mime.endswith("+json"):
        return "json"
    if mime == "application/x-www-form-urlencoded":
        return "form"
    if mime.startswith("multipart/"):
        return "multipart"
    if mime.startswith("text/") or mime.endswith("+xml") or mime in _TEXT_TYPES:
        return "text"
    return None


def _scrub_json_text(text: str, extras: tuple):
    try:
        parsed = json.loads(text, parse_constant=str)
    except RecursionError:
        return TOO_DEEP
    except ValueError:  # not JSON after all, or an integer too long to convert
        return _scrub_text(text, extras)
    try:
        return _scrub(parsed, 0, flowscope_settings.MAX_BODY_DEPTH, extras)
    except RecursionError:  # only with an absurd MAX_BODY_DEPTH
        return TOO_DEEP


def _scrub_decoded(kind: str, text: str, extras: tuple):
    if kind == "form":
        return _scrub(_parse_query(text), 0, flowscope_settings.MAX_BODY_DEPTH, extras)
    if kind == "json" or _LOOKS_LIKE_JSON.match(text):
        return _scrub_json_text(text, extras)  # JSON sent as text/plain (sendBeacon) too
    return _scrub_text(text, extras)


def _utf8(text: str) -> bytes:
    # A lone surrogate (from a JSON escape such as "\ud800") is kept as its three bytes, the
    # size of the U+FFFD that replaces it before the record is stored (records.storable).
    return text.encode("utf-8", "surrogatepass")


def _head(encoded: bytes, size: int) -> str:
    """The first ``size`` bytes of ``encoded`` (longer than that) as text, never cutting a
    character in two."""
    while size and (encoded[size] & 0xC0) == 0x80:  # a continuation byte: mid-character
        size -= 1
    return encoded[:size].decode("utf-8", "surrogatepass")


def _cap(result, max_bytes: int):
    """``result``, or a truncated preview of its (already scrubbed) serialization."""
    if not isinstance(result, str | dict | list):
        return result
    serialized = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
    encoded = _utf8(serialized)
    if len(encoded) <= max_bytes:
        return result
    # Cutting can leave a digit run that only now looks like a card, hence the masking.
    preview = mask_card_numbers(_head(encoded, max_bytes))
    return {"_truncated": True, "size": len(encoded), "preview": preview}


def scrub_body(body: bytes, content_type: str) -> object:
    """What may be stored for a request or response body.

    JSON is parsed and scrubbed, forms become scrubbed dicts, text is scrubbed like log
    messages; multipart, binary, undecodable and huge bodies become size markers. A result
    over MAX_BODY_BYTES when serialized is stored as a truncated preview of that
    serialization (so the preview is scrubbed too).
    """
    if not body:
        return None
    text = body if isinstance(body, str) else None  # tolerated: a hook may hold text
    size = len(_utf8(text) if text is not None else body)
    kind = _body_kind(content_type or "")
    if kind == "multipart":
        return f"[multipart {size} bytes]"
    if kind is None:
        return f"[binary {size} bytes]"
    max_bytes = flowscope_settings.MAX_BODY_BYTES
    if size > _UNPARSED_FACTOR * max_bytes:
        return f"[truncated {size} bytes]"
    if text is None:
        try:
            text = str(body, "utf-8")
        except UnicodeDecodeError:
            return f"[binary {size} bytes]"
    return _cap(_scrub_decoded(kind, text, _extra_keys()), max_bytes)
