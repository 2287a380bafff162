"""Ids an earlier answer of a workflow created, taken from the new run's answer where a later
request names them: which values are linked (and which, looking alike, are not), and what a
replay sends and says."""

import json

from flowscope.manual_testing import id_links, replay
from flowscope.manual_testing.dispatch import ManualResponse
from tests.flowscope.factories import make_step as step

JSON = {"Content-Type": "application/json"}
UUID = "0b6e7c52-8d8f-4c3e-9d4e-2f4b5c6d7e8f"


def cart(item_id, product_id=3, quantity=1):
    """The shop's cart, as ``POST /api/v1/cart/items/`` answers it."""
    line = {"id": item_id, "product": {"id": product_id}, "quantity": quantity}
    return {"items": [line], "item_count": quantity, "total": "12.50"}


LOGIN = {
    "method": "POST",
    "path": "/api/v1/auth/login/",
    "request_headers": JSON,
    "request_body": {"username": "alice"},
    "response_body": {"token": "[Filtered]", "user": {"id": 1, "username": "alice"}},
}
ADD = {
    "method": "POST",
    "path": "/api/v1/cart/items/",
    "request_headers": JSON,
    "request_body": {"product_id": 3, "quantity": 2},
    "response_body": cart(41, quantity=2),
}
CHANGE = {
    "method": "PATCH",
    "path": "/api/v1/cart/items/41/",
    "request_headers": JSON,
    "request_body": {"quantity": 3},
    "response_body": cart(41, quantity=3),
}
CHECKOUT = {
    "method": "POST",
    "path": "/api/v1/orders/checkout/",
    "request_headers": JSON,
    "request_body": {"item": 41, "note": 41},
    "response_body": {"id": 7, "uuid": UUID, "items": [{"product_id": 3, "quantity": 3}]},
}
ORDER = {"method": "GET", "path": "/api/v1/orders/7/", "query": {"order_id": "7", "page": "7"}}


def requests(*metadata):
    return replay.requests_of(
        [step(f"s{i}", "api", i * 10, 5, **meta) for i, meta in enumerate(metadata)]
    )


def described(*metadata):
    found = requests(*metadata)
    links = id_links.links_of(found)
    return [[link.describe(r) for link in some] for r, some in zip(found, links, strict=True)]


def test_ids_a_write_answered_are_linked_in_paths_bodies_and_queries():
    assert described(LOGIN, ADD, CHANGE, CHECKOUT, ORDER) == [
        [],
        [],
        ["path /api/v1/cart/items/{items[0].id}/ uses the id of step 2's answer"],
        ["body item={items[0].id} uses the id of step 3's answer"],  # the most recent answer
        [
            "path /api/v1/orders/{id}/ uses the id of step 4's answer",
            "query order_id={id} uses the id of step 4's answer",
        ],
    ]


def test_values_that_only_look_like_an_earlier_id_are_not_linked():
    one = {**ADD, "response_body": cart(2, product_id=5)}
    later = {
        "method": "POST",
        "path": "/api/v1/products/1/reviews/",  # a product's 1, not the login's user 1
        "query": {"page": "2", "size": "2"},
        "request_headers": JSON,
        # A quantity, a small number in a field named like no id, the product read before.
        "request_body": {"quantity": 2, "item": 2, "stars": 1},
    }
    assert described(LOGIN, one, later) == [[], [], []]


def test_an_id_a_read_answered_was_there_before_and_is_not_linked():
    read = {"method": "GET", "path": "/api/v1/orders/7/", "response_body": {"id": 7}}
    assert described(read, ORDER) == [[], []]


def test_uuids_and_id_fields_are_linked_small_numbers_in_an_id_named_field_too():
    later = {
        "method": "POST",
        "path": "/api/v1/returns/",
        "request_headers": JSON,
        "request_body": {"order_id": 7, "order_uuid": UUID, "lines": [{"product_id": 3}]},
    }
    assert described(CHECKOUT, later) == [
        [],
        [
            "body order_id={id} uses the id of step 1's answer",
            "body order_uuid={uuid} uses the id of step 1's answer",
            "body lines.0.product_id={items[0].product_id} uses the id of step 1's answer",
        ],
    ]


class Worker:
    """The shop on another database: the rows the replay creates get other ids."""

    def __init__(self):
        self.sent = []

    def send(self, tested, origin, *, timeout_ms, headers):
        self.sent.append(tested)
        answers = {
            "/api/v1/cart/items/": cart(58, quantity=2),
            "/api/v1/cart/items/58/": cart(58, quantity=3),
            "/api/v1/orders/checkout/": {"id": 12, "uuid": UUID, "items": []},
        }
        if tested.path in answers:
            body = json.dumps(answers[tested.path]).encode()
            return ManualResponse(200, {}, "application/json", body, len(body), False, 3.0)
        return ManualResponse(404, {}, "application/json", b"{}", 2, False, 3.0)


def test_a_replay_sends_the_ids_its_own_answers_gave_and_says_so():
    worker = Worker()
    reports = replay.run(requests(ADD, CHANGE, CHECKOUT, ORDER), {}, None, "id", "checkout", worker)
    assert [t.path for t in worker.sent] == [
        "/api/v1/cart/items/",
        "/api/v1/cart/items/58/",
        "/api/v1/orders/checkout/",
        "/api/v1/orders/12/",
    ]
    assert json.loads(worker.sent[2].body) == {"item": 58, "note": 41}
    assert worker.sent[3].query_string == "order_id=12&page=7"
    change, order = reports[1], reports[3]
    assert change["path"] == "/api/v1/cart/items/41/"  # the result names the stored request
    assert change["linked"] == [
        {
            "where": "path",
            "value": "41",
            "step": 1,
            "field": "items[0].id",
            "sent": 58,
            "note": "path /api/v1/cart/items/{items[0].id}/ uses the id of step 1's answer",
        }
    ]
    assert [link["sent"] for link in order["linked"]] == [12, 12]
    assert reports[0]["linked"] == []


def test_an_answer_without_the_field_leaves_the_stored_value_and_says_so():
    class Failing(Worker):
        def send(self, tested, origin, *, timeout_ms, headers):
            self.sent.append(tested)
            return ManualResponse(400, {}, "application/json", b'{"detail": "no"}', 16, False, 1)

    worker = Failing()
    reports = replay.run(requests(ADD, CHANGE), {}, None, "id", "checkout", worker)
    assert worker.sent[1].path == "/api/v1/cart/items/41/"
    (link,) = reports[1]["linked"]
    assert link["sent"] == "41" and "which had no items[0].id" in link["note"]


def test_the_plan_names_what_the_replay_will_link():
    plan = replay.describe(requests(ADD, CHANGE))
    assert [r["linked"] for r in plan] == [
        [],
        ["path /api/v1/cart/items/{items[0].id}/ uses the id of step 1's answer"],
    ]
