"""What a replay sends, rebuilt from a workflow's stored (scrubbed) requests: what was
masked, what cannot be sent again, and how supplied values fill it in."""

import json

import pytest

from flowscope.manual_testing import replay
from flowscope.manual_testing.dispatch import ManualResponse
from flowscope.records.scrubbing import FILTERED, FILTERED_CARD
from tests.flowscope.factories import make_step as step

LOGIN = {
    "method": "POST",
    "path": "/api/v1/auth/login/",
    "request_headers": {"Content-Type": "application/json", "X-Forwarded-For": "10.0.0.1"},
    "request_body": {"username": "alice", "password": FILTERED},
}
CHECKOUT = {
    "method": "POST",
    "path": "/api/v1/orders/checkout/",
    "query": {"coupon": "SPRING"},
    "request_headers": {
        "Content-Type": "application/json",
        "Authorization": FILTERED,
        "Cookie": FILTERED,
        "X-Correlation-ID": "wf-1",
        "Accept-Language": "de",
    },
    "request_body": {"payment": {"card_number": FILTERED_CARD, "cvv": FILTERED}},
}


def requests(*metadata):
    stored = [step(f"s{i}", "api", i * 10, 5, **meta) for i, meta in enumerate(metadata)]
    stored.append(step("q", "database", 1, 1, parent="s0", sql="SELECT 1"))
    return replay.requests_of(stored)


@pytest.fixture(autouse=True)
def _configured_cvv(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "REPLAY_VALUES": {"cvv": "123"}}


def test_the_masked_fields_are_named_where_they_were_met():
    assert replay.masked_fields(requests(LOGIN, CHECKOUT)) == [
        {"name": "password", "where": "body"},
        {"name": "card_number", "where": "body"},
        {"name": "cvv", "where": "body"},
        {"name": "authorization", "where": "header"},
        {"name": "cookie", "where": "header"},
    ]


def test_headers_the_replay_sets_itself_or_a_proxy_sets_are_not_replayed():
    login, checkout = requests(LOGIN, CHECKOUT)
    assert login.headers == {}
    assert set(checkout.headers) == {"authorization", "cookie", "accept-language"}


def test_given_values_win_over_configured_ones_and_missing_ones_are_named():
    values = replay.supplied_values({"Password": "pw"})
    assert values == {"cvv": "123", "password": "pw"}
    missing = replay.missing_values(requests(LOGIN, CHECKOUT), values)
    assert list(missing) == ["card_number"]  # a masked header left out is no refusal


def test_a_request_a_manual_test_could_not_send_is_not_sent(db):
    odd = [{"method": method, "path": "/api/v1/products/"} for method in ("TRACE", "CONNECT")]
    odd.append({"method": "GET", "path": None})
    worker = Worker()
    reports = replay.run(requests(*odd), {}, None, "new-id", "search", worker)
    assert worker.sent == [] and [r["status_code"] for r in reports] == [None] * 3
    assert reports[0]["error"] == "Method 'TRACE' is not one a manual test sends."
    assert reports[2]["error"] == "Its path was not stored."


def test_a_request_whose_body_was_not_stored_is_not_sent():
    upload = {**LOGIN, "request_body": "[multipart 2048 bytes]"}
    cut = {**LOGIN, "request_body": '{"username": "alice", "bio": "…'}
    # As the scrubber stores a JSON body over MAX_BODY_BYTES: a preview of it.
    preview = {**LOGIN, "request_body": {"_truncated": True, "size": 9000, "preview": '{"a'}}
    assert [r.problem for r in requests(upload, cut, preview)] == [
        "Its body was not stored ([multipart 2048 bytes]).",
        "Its body was stored cut short.",
        "Its body was stored cut short.",
    ]


class Worker:
    """Answers each request as the shop would: the login with a token."""

    def __init__(self):
        self.sent = []

    def send(self, tested, origin, *, timeout_ms, headers):
        self.sent.append((tested, dict(headers)))
        body = b'{"token": "t0k"}' if tested.path.endswith("login/") else b"{}"
        return ManualResponse(200, {}, "application/json", body, len(body), False, 3.0)


def test_values_fill_the_masked_fields_and_may_name_earlier_answers():
    worker = Worker()
    values = replay.supplied_values(
        {"password": "pw", "card_number": "4242424242424242", "authorization": "Token {token}"}
    )
    reports = replay.run(requests(LOGIN, CHECKOUT), values, None, "new-id", "checkout", worker)
    (login, first_headers), (checkout, last_headers) = worker.sent
    assert json.loads(login.body) == {"username": "alice", "password": "pw"}
    assert json.loads(checkout.body) == {
        "payment": {"card_number": "4242424242424242", "cvv": "123"}
    }
    assert checkout.headers["authorization"] == "Token t0k"
    assert checkout.query_string == "coupon=SPRING"
    assert first_headers == {"X-Correlation-ID": "new-id", "X-Workflow-Type": "checkout"}
    assert last_headers["X-Workflow-Complete"] == "true"
    assert [r["left_out"] for r in reports] == [[], ["cookie"]]


def test_nothing_is_sent_while_a_masked_value_is_missing():
    worker = Worker()
    with pytest.raises(replay.MissingValues) as raised:
        replay.run(requests(LOGIN), {}, None, "new-id", "login", worker)
    assert list(raised.value.missing) == ["password"] and worker.sent == []


def test_a_masked_query_parameter_is_supplied_by_its_name_in_any_case():
    search = {"method": "GET", "path": "/api/v1/products/", "query": {"API_Key": [FILTERED]}}
    stored = requests(search)
    assert replay.masked_fields(stored) == [{"name": "api_key", "where": "query"}]
    values = replay.supplied_values({"API_Key": "k3y"})
    assert replay.missing_values(stored, values) == {}
    worker = Worker()
    replay.run(stored, values, None, "new-id", "search", worker)
    assert worker.sent[0][0].query_string == "API_Key=k3y"


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example/api/v1/products/",
        "http://evil.example/api/v1/products/",
        "/\\evil.example/",
        "/api/v1/%2e%2e/%2e%2e/admin/",
        "/api/v1/debugging/workflows/",
        "/admin/",
    ],
)
def test_a_stored_path_that_is_no_route_of_the_project_is_never_sent(db, path):
    worker = Worker()
    forged = {"method": "GET", "path": path, "request_headers": {"Host": "evil.example"}}
    (report,) = replay.run(requests(forged), {}, None, "new-id", "search", worker)
    assert worker.sent == [] and report["status_code"] is None and report["error"]
