import copy
import json

import pytest
from django.test import override_settings

from flowscope.records.scrubbing import (
    FILTERED,
    is_sensitive_key,
    mask_card_numbers,
    scrub,
    scrub_body,
    scrub_headers,
    scrub_query_string,
    scrub_text,
)

CARD = "[Filtered card]"
CARDS = ["4242 4242 4242 4242", "4000-0000-0000-0002", "5555555555554444", "378282246310005"]


def dumped(value):
    return json.dumps(value)


# --- keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [
    "password", "Password", "new_password", "userPassword", "passwd", "pwd", "client_secret",
    "access_token", "api-key", "API Key", "apiKey", "AccessKey", "private_key",
    "X-Flowscope-Key", "Authorization", "auth_header", "Cookie", "Set-Cookie", "sessionid",
    "X-CSRFToken", "csrfmiddlewaretoken", "card_number", "cardNumber", "credit_card",
    "cc-number", "pan", "PAN", "card_pan", "cvv", "cvc", "cvn", "security_code", "pin", "PIN",
    "card_pin", "cardPin", "pinCode", "iban", "ssn", "user_ssn", "SSNLast4", "card[number]",
])  # fmt: skip
def test_sensitive_keys_are_recognised_however_they_are_spelled(key):
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", [
    "company", "spinning", "spinner", "pinned", "isPinned", "opinion", "shipping", "panel",
    "expand", "lessons", "username", "email", "amount", "order_id",
])  # fmt: skip
def test_ordinary_words_containing_short_sensitive_words_are_kept(key):
    assert not is_sensitive_key(key)


def test_scrub_keys_setting_adds_keys_everywhere():
    assert not is_sensitive_key("dateOfBirth")
    with override_settings(FLOWSCOPE={"SCRUB_KEYS": ["date_of_birth"]}):
        assert is_sensitive_key("dateOfBirth")
        assert scrub({"date_of_birth": "1990-01-01"}) == {"date_of_birth": FILTERED}
        assert scrub_headers({"X-Date-Of-Birth": "1990"}) == {"X-Date-Of-Birth": FILTERED}
        assert scrub_query_string("date_of_birth=1990") == {"date_of_birth": FILTERED}
        assert scrub_text("date_of_birth=1990-01-01 ok") == f"date_of_birth={FILTERED} ok"


# --- card numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("card", CARDS)
def test_card_numbers_are_masked_inside_text(card):
    assert mask_card_numbers(f"paid with {card} today") == f"paid with {CARD} today"


def test_several_cards_in_one_run_are_all_masked():
    assert mask_card_numbers("5555555555554444 378282246310005") == f"{CARD} {CARD}"
    assert mask_card_numbers("qty 3 4242 4242 4242 4242") == f"qty 3 {CARD}"


@pytest.mark.parametrize("text", [
    "4242 4242 4242 4241",  # fails Luhn
    "order 2024011512345678 shipped",
    "at 1700000000000 ms",
    "call +1 (555) 123-4567 or 555-123-4567-8901",
    "id 12345",
    "",
])  # fmt: skip
def test_numbers_that_are_not_cards_are_kept(text):
    assert mask_card_numbers(text) == text


# --- structures --------------------------------------------------------------------------


def test_secrets_and_cards_are_removed_at_any_depth():
    value = {
        "user": {"profile": {"accounts": [
            {"password": "hunter2", "api_key": {"id": "k-1", "value": "sk_live_abc"}},
        ]}},
        "payment": {"card_number": 4242424242424242, "cvc": "123", "note": f"used {CARDS[1]}"},
        "items": [{"sku": "A-1", "qty": 2}],
    }  # fmt: skip
    result = scrub(value)
    credentials = result["user"]["profile"]["accounts"][0]
    assert credentials == {"password": FILTERED, "api_key": FILTERED}
    assert result["payment"] == {"card_number": FILTERED, "cvc": FILTERED, "note": f"used {CARD}"}
    assert result["items"] == [{"sku": "A-1", "qty": 2}]
    for secret in ("hunter2", "sk_live_abc", "0002"):
        assert secret not in dumped(result)


def test_card_numbers_stored_as_integers_or_keys_are_masked():
    numbers = {"card": 4242424242424242, "not_a_card": 4242424242424241}
    assert scrub(numbers) == {"card": CARD, "not_a_card": 4242424242424241}
    assert scrub({"5555555555554444": "x"}) == {CARD: "x"}


def test_scrub_does_not_modify_its_input():
    value = {"password": "hunter2", "nested": [{"token": "t", "note": CARDS[0]}], "t": (1, 2)}
    original = copy.deepcopy(value)
    scrub(value)
    assert value == original


def test_other_types_are_stored_as_scrubbed_text():
    class Credentials:
        def __str__(self):
            return "Credentials(password='hunter2', card='4242424242424242')"

    class Broken:
        def __str__(self):
            raise RuntimeError

    value = {"creds": Credentials(), "pair": (1, "a"), "broken": Broken(), "x": float("nan")}
    result = scrub(value)
    assert result["creds"] == f"Credentials(password='{FILTERED}', card='{CARD}')"
    assert result["pair"] == [1, "a"]
    assert result["broken"] == "<unprintable Broken>"
    assert result["x"] == "nan"
    dumped(result)  # everything left is JSON


def test_values_that_are_not_json_become_text_and_cycles_stop_at_the_depth_limit():
    class Unprintable:
        def __str__(self):
            raise RuntimeError

        __repr__ = __str__

    cycle = []
    cycle.append(cycle)
    value = {
        "bytes": b"\xff\x00abc",
        "set": {1},
        "gen": (n for n in range(3)),
        "cycle": cycle,
        ("tuple", 1): Unprintable(),
    }
    result = scrub(value)
    assert result["bytes"] == "b'\\xff\\x00abc'"
    assert result["set"] == "{1}"
    assert result["gen"].startswith("<generator object")
    assert result["('tuple', 1)"] == "<unprintable Unprintable>"
    depth, inner = 0, result["cycle"]
    while isinstance(inner, list):
        depth, inner = depth + 1, inner[0]
    assert inner == "[too deep]" and depth < 50
    dumped(result)


@override_settings(FLOWSCOPE={"MAX_BODY_DEPTH": 3})
def test_nesting_deeper_than_max_body_depth_becomes_a_marker():
    assert scrub({"a": {"b": {"c": {"d": 1}}}}) == {"a": {"b": {"c": "[too deep]"}}}
    assert scrub([[[1]]]) == [[[1]]]
    assert scrub([[[[1]]]]) == [[["[too deep]"]]]


# --- headers and query strings -----------------------------------------------------------


def test_sensitive_headers_are_masked_and_others_kept():
    headers = {
        "Authorization": "Bearer abc", "Cookie": "sessionid=s; csrftoken=c",
        "Set-Cookie": "sessionid=s", "X-CSRFToken": "c", "X-Flowscope-Key": "f",
        "X-Api-Key": "k", "Content-Type": "application/json", "X-Note": f"card {CARDS[0]}",
        "Referer": "https://shop.test/reset?token=abc&page=2",
    }  # fmt: skip
    result = scrub_headers(headers)
    masked = [name for name in headers if result[name] == FILTERED]
    assert masked == list(headers)[:6]  # Authorization ... X-Api-Key
    assert result["Content-Type"] == "application/json"
    assert result["X-Note"] == f"card {CARD}"
    assert result["Referer"] == f"https://shop.test/reset?token={FILTERED}&page=2"


def test_query_string_becomes_a_scrubbed_dict():
    query = "user=bob&password=hunter2&access_token=abc&tag=a&tag=b&empty=&card=5555555555554444"
    assert scrub_query_string(query) == {
        "user": "bob", "password": FILTERED, "access_token": FILTERED, "tag": ["a", "b"],
        "empty": "", "card": CARD,
    }  # fmt: skip
    assert scrub_query_string("") == {}


# --- bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "application/vnd.api+json",
    "text/plain",  # JSON sent as text (navigator.sendBeacon) is recognised too
])  # fmt: skip
def test_json_bodies_are_parsed_and_scrubbed(content_type):
    body = json.dumps({"email": "a@b.test", "password": "hunter2", "card": CARDS[2]}).encode()
    expected = {"email": "a@b.test", "password": FILTERED, "card": CARD}
    assert scrub_body(body, content_type) == expected


def test_malformed_json_is_scrubbed_as_text():
    body = b'{"user": "bob", "password": "hunter2", "card": "4242 4242'
    result = scrub_body(body, "application/json")
    assert isinstance(result, str)
    assert "hunter2" not in result
    assert f'"password": "{FILTERED}"' in result


def test_form_bodies_are_scrubbed_like_query_strings():
    body = b"username=bob&password=hunter2&cardNumber=4000-0000-0000-0002&csrfmiddlewaretoken=x"
    assert scrub_body(body, "application/x-www-form-urlencoded") == {
        "username": "bob", "password": FILTERED, "cardNumber": FILTERED,
        "csrfmiddlewaretoken": FILTERED,
    }  # fmt: skip


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "application/xml", ""])
def test_text_bodies_are_scrubbed_like_log_messages(content_type):
    body = f"user=bob password=hunter2 card {CARDS[0]}".encode()
    assert scrub_body(body, content_type) == f"user=bob password={FILTERED} card {CARD}"


@pytest.mark.parametrize(("body", "content_type", "expected"), [
    (b"", "application/json", None),
    (b"--b\r\npassword=x\r\n--b--", "multipart/form-data; boundary=b", "[multipart 22 bytes]"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "[binary 8 bytes]"),
    (b"password=x", "application/octet-stream", "[binary 10 bytes]"),
    (b"caf\xe9 password=x", "text/plain", "[binary 15 bytes]"),  # Latin-1, not UTF-8
])  # fmt: skip
def test_bodies_that_are_not_scrubbed_text_become_markers(body, content_type, expected):
    assert scrub_body(body, content_type) == expected


def test_maliciously_deep_json_gives_a_marker_not_a_crash():
    assert scrub_body(b"[" * 100_000, "application/json") == "[too deep]"
    assert scrub_body(b"[" * 60_000 + b"]" * 60_000, "application/json") == "[too deep]"


@override_settings(FLOWSCOPE={"MAX_BODY_DEPTH": 2})
def test_deep_parts_of_a_json_body_become_markers():
    body = b'{"a": {"b": {"password": "hunter2"}}, "ok": 1}'
    assert scrub_body(body, "application/json") == {"a": {"b": "[too deep]"}, "ok": 1}


@override_settings(FLOWSCOPE={"MAX_BODY_BYTES": 100})
def test_bodies_too_big_to_parse_are_not_parsed():
    body = json.dumps({"password": "hunter2", "filler": "x" * 2000}).encode()
    assert scrub_body(body, "application/json") == f"[truncated {len(body)} bytes]"


@override_settings(FLOWSCOPE={"MAX_BODY_BYTES": 100})
def test_big_bodies_are_stored_as_a_scrubbed_preview():
    body = json.dumps({"filler": "x" * 200, "password": "hunter2"}).encode()
    result = scrub_body(body, "application/json")
    assert result["_truncated"] is True
    assert result["size"] > 100
    assert len(result["preview"].encode()) <= 100
    assert result["preview"].startswith('{"filler": "xxx')


def test_a_truncated_preview_never_holds_a_secret_that_followed_its_key():
    body = json.dumps({"note": "n" * 40, "password": "hunter2secret", "card": CARDS[0]})
    for limit in range(10, len(body)):  # every cut point, right after the key included
        with override_settings(FLOWSCOPE={"MAX_BODY_BYTES": limit}):
            result = scrub_body(body.encode(), "application/json")
        assert "hunter2" not in dumped(result)
        assert "4242 4242" not in dumped(result)


# --- free text ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("login failed password=hunter2 user=bob", f"login failed password={FILTERED} user=bob"),
    ("Authorization: Bearer abc.def\nnext", f"Authorization: {FILTERED}\nnext"),
    ('bad payload {"token": "abc", "id": 7}', f'bad payload {{"token": "{FILTERED}", "id": 7}}'),
    ("Credentials(api_key='sk_1', user='bob')", f"Credentials(api_key='{FILTERED}', user='bob')"),
    ("GET /reset?user=1&reset_token=abc&x=2", f"GET /reset?user=1&reset_token={FILTERED}&x=2"),
    (f"card {CARDS[3]} declined", f"card {CARD} declined"),
    ("the company is spinning, pinned: yes", "the company is spinning, pinned: yes"),
    ("retry at 10:30, order=2024011512345678", "retry at 10:30, order=2024011512345678"),
])  # fmt: skip
def test_log_like_text_loses_secret_values_and_card_numbers(text, expected):
    assert scrub_text(text) == expected


def test_secrets_in_escaped_or_nested_values_are_masked():
    escaped = 'body was {\\"password\\": \\"hunter2\\"}'
    assert scrub_text(escaped) == f'body was {{\\"password\\": \\"{FILTERED}\\"}}'
    assert "abc" not in scrub_text("token: ['abc', 'def'] then")
    assert "hunter2" not in scrub_text('data="user=bob password=hunter2"')


@pytest.mark.parametrize(("text", "expected"), [
    ("my card is 4242 4242 4242 4242 cvv 7319", f"my card is {CARD} cvv {FILTERED}"),
    ("CVC 123 please", f"CVC {FILTERED} please"),
    ("cvv2: 123", f"cvv2: {FILTERED}"),
    ("the security code is 0042.", f"the security code is {FILTERED}."),
    ("Security-Code #987", f"Security-Code #{FILTERED}"),
    ("csc 4321, expiry 12/39", f"csc {FILTERED}, expiry 12/39"),
    ("card verification value 555", f"card verification value {FILTERED}"),
])  # fmt: skip
def test_card_verification_codes_in_free_text_are_masked(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize("text", [
    "cvv check passed for order 12345",  # no 3-4 digit code after the word
    "cvv 12345678",  # a longer number is not a code
    "discover 123 new products",
    "the csc building, room 101",
])  # fmt: skip
def test_text_without_a_verification_code_is_kept(text):
    assert scrub_text(text) == text


def test_a_code_in_a_json_body_note_is_masked():
    body = json.dumps({"note": "cvc 999"}).encode()
    assert scrub_body(body, "application/json") == {"note": f"cvc {FILTERED}"}


# --- text no store can hold ----------------------------------------------------------------


def test_a_json_body_with_a_lone_surrogate_is_scrubbed_not_refused():
    body = b'{"username": "a\\ud800b", "password": "x\\ud800"}'
    assert scrub_body(body, "application/json") == {"username": "a\ud800b", "password": FILTERED}


@pytest.mark.parametrize("limit", range(20, 48))  # the body is parsed up to 16 x limit
def test_a_preview_is_cut_between_characters_whatever_they_are(limit):
    body = json.dumps({"n": "\ud800é€😀" * 10}, ensure_ascii=True).encode()
    with override_settings(FLOWSCOPE={"MAX_BODY_BYTES": limit}):
        result = scrub_body(body, "application/json")
    assert result["_truncated"] is True
    assert len(result["preview"].encode("utf-8", "surrogatepass")) <= limit
    assert result["preview"].startswith('{"n": "\ud800'[: len(result["preview"])])


def test_long_text_is_cut_without_keeping_part_of_a_card_or_code(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MAX_TEXT_LENGTH": 40}
    paid = "the customer paid with card 4242 4242 4242 4242 yesterday"  # cut in the card
    assert scrub_text(paid) == "the customer paid with card…[30 more characters]"
    codes = scrub({"v": "cvv 7319 " * 10})["v"]
    assert codes == f"cvv {FILTERED} " * 4 + "cvv…[51 more characters]"
    assert scrub({"v": "token=" + "a" * 100})["v"] == f"token={FILTERED}…[66 more characters]"
    assert scrub([Opaque("x" * 50)]) == ["x" * 40 + "…[10 more characters]"]
    assert scrub_text("short") == "short"


class Opaque:
    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text
