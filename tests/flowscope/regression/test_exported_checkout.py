"""The test exported from the example's checkout runs green in the example's own suite
(example/shop/tests/, run with pytest from example/ in a process of its own), and fails
there once the shop's N+1 gets worse: its query counts are real assertions.

The checkout is the shop's real traffic: the simulator's browser against a live server,
over the sample data the example's suite loads too (``shop_sample``: ids as captured).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from flowscope.manual_testing import id_links
from shop.payments import VALID_CARD_NUMBER
from shop.simulation import scenarios
from shop.simulation.browser import Browser
from tests.flowscope.conftest import client_for

EXAMPLE = Path(__file__).resolve().parents[3] / "example"
ALICE = ("alice", "alice-demo-pass")  # the sample data's customer
RUN_SECONDS = 600
# What a user fills in: the masked values and the data the requests expect.
FILLED_IN = {
    'PASSWORD = ""': f'PASSWORD = "{ALICE[1]}"',
    'AUTHORIZATION = ""': 'AUTHORIZATION = "Token {token}"',
    'CARD_NUMBER = ""': f'CARD_NUMBER = "{VALID_CARD_NUMBER}"',
    'CVV = ""': 'CVV = "123"',
    "fixtures = ()": 'fixtures = ("shop_sample",)',
}
# Two queries for each related product instead of one: the N+1 got worse.
WORSE_N_PLUS_ONE = (
    '"price": f"{item.price:.2f}",',
    '"price": f"{Product.objects.get(pk=item.pk).price:.2f}",',
)


@pytest.fixture
def checkout(live_server, real_recorder, settings):
    """Alice looks at a book and the books beside it, buys it: the captured workflow."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the sample data's hash
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "CAPTURE_RESPONSE_BODIES": "all"}
    call_command("loaddata", "shop_sample", verbosity=0)
    browser = Browser(live_server.url, "checkout", correlation_id="wf-checkout")
    assert browser.login(*ALICE).ok
    browser.call("GET", "/api/v1/products/?search=Classic")
    browser.call("GET", "/api/v1/products/1/")
    browser.call("GET", "/api/v1/products/1/related/")
    browser.call("POST", "/api/v1/cart/items/", {"product_id": 1, "quantity": 1})
    assert scenarios.checkout(browser, VALID_CARD_NUMBER).status == 201
    assert real_recorder.flush(10)
    return "wf-checkout"


def exported(correlation_id):
    staff, _ = get_user_model().objects.get_or_create(username="ops", is_staff=True)
    response = client_for(staff).get(f"/api/v1/debugging/workflows/{correlation_id}/export-test/")
    assert response.status_code == 200, response.content
    return response.content.decode()


def example_copy(tmp_path):
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def run_suite(example, *paths):
    """pytest in ``example``, as its own suite runs: its settings, a database of its own."""
    env = {**os.environ, "FLOWSCOPE_VAR_DIR": str(example.parent / "var")}
    env.pop("REDIS_URL", None)  # the shop's cache and transport in-process
    env["SHOP_PAYMENT_LATENCY_MS"] = "0"
    if env.get("DATABASE_URL", "").split(":")[0] not in ("", "sqlite"):
        url = urlsplit(env["DATABASE_URL"])  # not the test database of this run
        env["DATABASE_URL"] = urlunsplit(url._replace(path=f"{url.path}_example"))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *paths],
        cwd=example,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
    )


def lint(path):
    """ruff as a host without settings of its own runs it, and with more rules."""
    ruff = str(Path(sys.executable).with_name("ruff"))
    checks = [
        [ruff, "check", "--isolated", str(path)],
        [ruff, "check", "--isolated", "--select", "E,F,W,I,B,UP,SIM,C90", str(path)],
        [ruff, "format", "--isolated", "--check", "--diff", str(path)],
    ]
    for command in checks:
        result = subprocess.run(
            command, cwd=path.parent, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_exported_checkout_runs_green_in_the_examples_suite_and_holds_its_query_counts(
    checkout, tmp_path
):
    source = exported(checkout)
    assert "alice-demo-pass" not in source and VALID_CARD_NUMBER not in source
    for blank in FILLED_IN:
        assert source.count(blank) == 1, blank
    example = example_copy(tmp_path)
    test_file = example / "shop" / "tests" / "test_exported_checkout.py"
    test_file.write_text(source)
    lint(test_file)

    unfilled = run_suite(example, str(test_file))
    assert unfilled.returncode == 1, unfilled.stdout + unfilled.stderr
    assert "not filled in" in unfilled.stdout

    for blank, value in FILLED_IN.items():
        source = source.replace(blank, value)
    test_file.write_text(source)
    green = run_suite(example)  # the whole suite: its own tests and the exported one
    assert green.returncode == 0, green.stdout + green.stderr
    assert "2 passed" in green.stdout

    view = example / "shop" / "views" / "products.py"
    view.write_text(view.read_text().replace(*WORSE_N_PLUS_ONE))
    worse = run_suite(example, str(test_file))
    assert worse.returncode == 1, worse.stdout + worse.stderr
    # One more query for each of the five books beside it, at the related products request.
    assert "13 != 8 : 13 queries executed, 8 expected" in worse.stdout


@pytest.fixture
def reread_order(live_server, real_recorder, settings):
    """Alice puts a book in her cart, takes two instead, pays and reads her new order back:
    later requests name the cart line and the order earlier ones created. Another
    customer's checkout before it took the first ids, so the test's fresh database gives
    its rows other ids than the captured ones. The workflow, and its cart line's id."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the sample data's hash
    settings.SHOP_PAYMENT_GATEWAY = {"LATENCY_MS": 0, "FAILURE_RATE": 0.0}
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "CAPTURE_RESPONSE_BODIES": "all"}
    call_command("loaddata", "shop_sample", verbosity=0)
    get_user_model().objects.create_user("bob", password="bob-demo-pass")
    earlier = Browser(live_server.url, "checkout")
    assert earlier.login("bob", "bob-demo-pass").ok
    earlier.call("POST", "/api/v1/cart/items/", {"product_id": 2, "quantity": 1})
    assert scenarios.checkout(earlier, VALID_CARD_NUMBER).status == 201
    browser = Browser(live_server.url, "checkout", correlation_id="wf-reread")
    assert browser.login(*ALICE).ok
    cart = browser.call("POST", "/api/v1/cart/items/", {"product_id": 1, "quantity": 1})
    (line,) = cart.body["items"]
    assert line["id"] > 1
    assert browser.call("PATCH", f"/api/v1/cart/items/{line['id']}/", {"quantity": 2}).ok
    order = scenarios.checkout(browser, VALID_CARD_NUMBER)
    assert order.status == 201 and order.body["id"] > 1
    assert browser.call("GET", f"/api/v1/orders/{order.body['id']}/").ok
    assert real_recorder.flush(10)
    return "wf-reread", line["id"]


def filled_in(source):
    for blank, value in FILLED_IN.items():
        source = source.replace(blank, value)
    return source


def test_an_exported_test_reads_the_ids_its_own_requests_created(
    reread_order, tmp_path, monkeypatch
):
    correlation_id, item_id = reread_order
    source = exported(correlation_id)
    assert "f\"/api/v1/cart/items/{answer_2['items'][0]['id']}/\"" in source
    assert "f\"/api/v1/orders/{answer_4['id']}/\"" in source
    example = example_copy(tmp_path)
    test_file = example / "shop" / "tests" / "test_exported_reread.py"
    test_file.write_text(source)
    lint(test_file)
    test_file.write_text(filled_in(source))
    green = run_suite(example, str(test_file))
    assert green.returncode == 0, green.stdout + green.stderr
    assert "1 passed" in green.stdout

    # Sent as stored, the cart line's change names the captured line: not in this cart.
    monkeypatch.setattr(id_links, "links_of", lambda requests: [[] for _ in requests])
    test_file.write_text(filled_in(exported(correlation_id)))
    unlinked = run_suite(example, str(test_file))
    assert unlinked.returncode == 1, unlinked.stdout + unlinked.stderr
    assert f"Not Found: /api/v1/cart/items/{item_id}/" in unlinked.stdout
