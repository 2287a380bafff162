"""A workflow's stored requests written out as a test: what each request is held to, what
becomes a constant to fill in, and source that compiles and that ruff leaves as it is,
whatever the stored values hold."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from flowscope.manual_testing import replay
from flowscope.models import WorkflowSession
from flowscope.records.scrubbing import FILTERED, FILTERED_CARD
from flowscope.regression import export
from tests.flowscope.factories import T0
from tests.flowscope.factories import make_step as step

ODD_TEXT = 'He said "hi" {not a field} \\ naïve\ttab'
LONG_TEXT = "a rather long value " * 6


def workflow(workflow_type="checkout"):
    return WorkflowSession(
        correlation_id="0123456789abcdef0123456789abcdef",
        workflow_type=workflow_type,
        started_at=T0,
        status="failed",
    )


def request(span_id, start_ms, method, path, **meta):
    meta.setdefault("status_code", 200)
    meta.setdefault("query_count", 1)
    return step(
        span_id, "api", start_ms, 5, name=f"{method} {path}", method=method, path=path, **meta
    )


def exported(*steps, workflow_type="checkout"):
    return export.export(workflow(workflow_type), list(steps))


def ruff(*args, cwd):
    command = [str(Path(sys.executable).with_name("ruff")), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)


def assert_clean(source, tmp_path):
    compile(source, "exported.py", "exec")
    path = tmp_path / "test_exported.py"
    path.write_text(source)
    for args in (["check", "--select", "E,F,W,I,B,UP,SIM"], ["format", "--check", "--diff"]):
        result = ruff(*args, "--isolated", str(path), cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr


MIXED = [
    request(
        "login",
        0,
        "POST",
        "/api/v1/auth/login/",
        request_headers={"Content-Type": "application/json", "X-Api-Key": FILTERED},
        request_body={"username": ODD_TEXT, "password": FILTERED, "tags": ["a", 1, None, True]},
        response_body={"token": FILTERED, "user": {"id": 1, "roles": []}},
    ),
    step("hit", "cache", 1, 1, parent="login", name="get", hit=True, key="k"),
    request(
        "form",
        10,
        "POST",
        "/accounts/profile/",
        request_headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        request_body={"bio": LONG_TEXT, "x-api-key": FILTERED},
        status_code=302,
    ),
    request(
        "search",
        20,
        "GET",
        "/api/v1/products/",
        query={"search": LONG_TEXT, "page": ["1", "2"], "coupon": FILTERED, "API_Key": [FILTERED]},
        request_headers={"Authorization": FILTERED, "Accept-Language": "it'is"},
        response_body={"_truncated": True, "size": 90000, "preview": "{"},
    ),
    request("upload", 30, "POST", "/api/v1/upload/", request_body="[multipart 2048 bytes]"),
    request(
        "broken",
        40,
        "GET",
        "/api/v1/shipping/estimate/",
        status_code=500,
        query_count=None,
        response_body={"detail": "Server error."},
    ),
    request("propfind", 50, "PROPFIND", "/dav/"),
    request(
        "long",
        55,
        "DELETE",
        f"/api/v1/{'very-long-segment/' * 5}",
        request_headers={"X-Signature": FILTERED},
    ),
    request(
        "pay",
        60,
        "PATCH",
        "/api/v1/orders/1/",
        request_headers={"Content-Type": "application/json"},
        request_body=[{"card": FILTERED_CARD, "note": LONG_TEXT}],
        status_code=402,
    ),
]


def test_odd_stored_values_make_source_that_compiles_and_ruff_leaves_alone(tmp_path):
    source = exported(*MIXED).source
    assert FILTERED not in source and FILTERED_CARD not in source
    assert_clean(source, tmp_path)
    filled = source.replace('PASSWORD = ""', 'PASSWORD = "it\'s {token}"')
    assert_clean(filled, tmp_path)


def test_each_request_is_held_to_its_status_its_queries_and_its_stored_answer():
    source = exported(*MIXED).source
    assert source.count("with assert_num_queries(1):") == 5
    assert "self.assertEqual(response.status_code, 302)" in source
    assert "self.assertEqual(response.status_code, 402)" in source
    assert source.count("json_shape(response.json())") == 2  # the cut answer has no shape
    assert '"$.user.roles": "array"' in source and '"$.detail": "string"' in source
    assert "Its number of queries was not stored." in source


def test_masked_values_become_constants_named_once_with_where_they_were():
    constants = export.masked_constants(replay.requests_of(MIXED))
    assert {name: constant for name, (constant, _) in constants.items()} == {
        "password": "PASSWORD",
        "x-api-key": "X_API_KEY",
        "coupon": "COUPON",
        "api_key": "API_KEY",
        "authorization": "AUTHORIZATION",
        "x-signature": "X_SIGNATURE",
        "card": "CARD",
    }
    assert constants["x-api-key"][1] == [
        'header "x-api-key" of POST /api/v1/auth/login/',
        'body "x-api-key" of POST /accounts/profile/',
    ]
    source = exported(*MIXED).source
    assert 'X_API_KEY = ""  # header "x-api-key" of POST /api/v1/auth/login/ and 1 more' in source
    assert '"password": values.fill(PASSWORD)' in source
    assert '"API_Key": [values.fill(API_KEY)]' in source
    assert '"authorization": AUTHORIZATION' in source  # a header: left out while empty


def test_only_masked_headers_are_filled_in_others_are_sent_as_stored():
    stored = {"X-Note": "{token}", "Authorization": FILTERED}
    source = exported(request("note", 0, "GET", "/x/", request_headers=stored)).source
    (call,) = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "values.headers"
    ]
    plain, masked = call.args
    assert ast.literal_eval(plain) == {"x-note": "{token}"}  # sent as it is
    assert ast.unparse(masked) == "{'authorization': AUTHORIZATION}"  # filled in


@pytest.mark.parametrize(
    "path", ["http://evil.example/x/", "//evil.example/x/", "/\\evil.example/", "/a/../admin/"]
)
def test_a_path_that_is_no_plain_path_of_the_project_is_not_exported(path):
    source = exported(request("evil", 0, "GET", path)).source
    assert "evil.example" not in source.replace(f"# 1. GET {path}", "")
    assert "Not sent:" in source and "self.client" not in source


def test_constant_names_are_identifiers_and_never_collide():
    taken = {}
    for name in ("a-b", "a_b", "2fa", "class", "***"):
        taken[name] = (export._constant_name(name, taken), [])
    assert [constant for constant, _ in taken.values()] == [
        "A_B",
        "A_B_2",
        "VALUE_2FA",
        "CLASS",
        "VALUE",
    ]


def test_what_cannot_be_sent_again_says_why_and_a_failure_is_answered_not_raised():
    source = exported(*MIXED).source
    assert "# Not sent: its body was not stored ([multipart 2048 bytes])." in source
    assert "# Not sent: the test client has no method for it." in source
    assert "self.client.raise_request_exception = False" in source
    assert "It failed then: once fixed, expect the answer it should give." in source
    assert "It found 1 value in the cache then" in source
    assert "from urllib.parse import urlencode" in source
    assert "doseq=True" in source


def test_a_workflow_without_a_type_or_masked_values_names_its_test_plainly(tmp_path):
    plain = exported(request("only", 0, "GET", "/api/v1/products/"), workflow_type="")
    assert plain.filename == "test_captured_01234567.py"
    assert "class CapturedWorkflowTest(TransactionTestCase):" in plain.source
    assert "# Nothing was masked when the workflow was stored." in plain.source
    assert "MaskedValues" not in plain.source and "values." not in plain.source
    assert_clean(plain.source, tmp_path)


@pytest.mark.parametrize("workflow_type", ["cart_update", "Checkout v2!"])
def test_the_class_and_file_are_named_after_the_workflow_type(workflow_type):
    test = exported(request("only", 0, "GET", "/x/"), workflow_type=workflow_type)
    kind = {"cart_update": "cart_update", "Checkout v2!": "checkout_v2"}[workflow_type]
    assert test.filename == f"test_{kind}_01234567.py"
    name = {"cart_update": "CartUpdate", "Checkout v2!": "CheckoutV2"}[workflow_type]
    assert f"class {name}WorkflowTest(TransactionTestCase):" in test.source


# Stored values a captured request (or a forged trace) may hold: each tries to end its
# string, comment or docstring and run code of its own.
ESCAPES = ['"""', "'''", '"', "'", "\\", "\n", "\r", "\x00", "\u2028", "{", "}", "#"]
PAYLOAD = "".join(ESCAPES) + "\nINJECTED()\n" + "".join(reversed(ESCAPES))


def test_no_stored_text_becomes_code_in_the_exported_test(tmp_path):
    source = exported(
        step(
            "evil",
            "api",
            0,
            5,
            name=f"POST /x/{PAYLOAD}",
            method="POST",
            path="/x/\"\"\"'''{a}}{/",  # as much of it as a plain path may hold
            status_code="200)\nINJECTED()\n#",
            query_count="1):\nINJECTED()\n#",
            query={PAYLOAD: PAYLOAD, "token": FILTERED},
            request_headers={
                "Content-Type": "text/plain",
                "X-Note": PAYLOAD,
                "X-Api-Key": FILTERED,
            },
            request_body=PAYLOAD,
            response_body={PAYLOAD: [PAYLOAD], "n": float("nan")},
        ),
        request(
            "json",
            10,
            "PUT",
            "/y/",
            request_headers={"Content-Type": "application/json"},
            request_body={f"password{PAYLOAD}": FILTERED, "pass²": FILTERED, "x": "\ud800"},
        ),
        workflow_type="2fa.login",
    ).source
    tree = ast.parse(source)
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert "INJECTED" not in names
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert {"/x/\"\"\"'''{a}}{/", PAYLOAD} <= strings  # each written as the text it is
    assert [type(node) for node in tree.body if not isinstance(node, ast.ImportFrom)] == [
        ast.Expr,  # the docstring
        ast.Assign,  # TOKEN
        ast.Assign,  # X_API_KEY
        ast.Assign,  # PASSWORD_...
        ast.Assign,  # PASS
        ast.ClassDef,
    ]
    assert "class Workflow2faLoginWorkflowTest(TransactionTestCase):" in source
    assert "Its status was not stored." in source
    assert "Its number of queries was not stored." in source
    compile(source, "exported.py", "exec")


JSON = {"Content-Type": "application/json"}
CART = {"items": [{"id": 41, "product": {"id": 3}, "quantity": 2}], "total": "25.00"}
LINKED = [
    request(
        "add",
        0,
        "POST",
        "/api/v1/cart/items/",
        status_code=201,
        request_headers=JSON,
        request_body={"product_id": 3, "quantity": 2},
        response_body=CART,
    ),
    request(
        "change",
        10,
        "PATCH",
        "/api/v1/cart/items/41/",
        request_headers=JSON,
        request_body={"quantity": 3},
        response_body=CART,
    ),
    request(
        "checkout",
        20,
        "POST",
        "/api/v1/orders/checkout/",
        status_code=201,
        request_headers=JSON,
        request_body={"item": 41, "card": FILTERED_CARD},
        response_body={"id": 7, "items": []},
    ),
    request("order", 30, "GET", "/api/v1/orders/7/", query={"order_id": "7"}),
]


def test_ids_an_earlier_answer_created_are_read_from_the_tests_own_answers(tmp_path):
    source = exported(*LINKED).source
    kept = "= response.json()  # a later request takes its id"
    assert [n for n in range(1, 5) if f"answer_{n} {kept}" in source] == [1, 2, 3]
    assert "f\"/api/v1/cart/items/{answer_1['items'][0]['id']}/\"" in source
    assert '"item": answer_2["items"][0]["id"]' in source  # the most recent answer
    assert "f\"/api/v1/orders/{answer_3['id']}/\"" in source
    assert 'query_params={"order_id": answer_3["id"]}' in source
    assert (
        "        # 4. GET /api/v1/orders/7/: answered 200.\n"
        "        # path /api/v1/orders/{id}/ uses the id of step 3's answer, here answer_3.\n"
    ) in source
    assert_clean(source, tmp_path)
    assert_clean(source.replace('CARD = ""', 'CARD = "4242 {item}"'), tmp_path)
