"""What simulated customers do. Each scenario is one workflow, and most succeed; the rest
meet the shop's real failure modes: a declined card, stock that ran out, the slow and the
N+1 endpoints, bad input, and the deliberately buggy shipping estimate. A journey is a visit
of several workflows, one after another, as the dashboard's funnel follows them."""

import random
import secrets

from shop.management.commands.seed_demo import SHOPPER_PASSWORD
from shop.payments import DECLINED_CARD_NUMBER, VALID_CARD_NUMBER

SEARCHES = ["Classic", "Lamp", "Tent", "Kettle", "Puzzle", "Pro", "Compact", "Novel"]


def login(browser, rng, password=None):
    """Sign in as the account this customer was given (``browser.username``)."""
    complete = browser.workflow_type == "login"
    return browser.login(browser.username, password or SHOPPER_PASSWORD, complete=complete)


def browse(browser, rng, complete=False):
    """Search, open a product or two; return a product with some stock, or None.
    ``complete``: opening the product ends the workflow."""
    answer = browser.call("GET", f"/api/v1/products/?search={rng.choice(SEARCHES)}")
    if not answer.ok or not answer.body["results"]:
        answer = browser.call("GET", f"/api/v1/products/?page={rng.randint(1, 12)}")
    products = [p for p in (answer.body or {}).get("results", []) if p["stock"] >= 3]
    if not products:
        return None
    product = rng.choice(products)
    browser.call("GET", f"/api/v1/products/{product['id']}/", complete=complete)
    return product


def fill_cart(browser, rng):
    product = browse(browser, rng)
    if product is None:
        browser.script_error("OutOfStockError", "Nothing left in stock to buy.")
        return None
    answer = browser.call(
        "POST", "/api/v1/cart/items/", {"product_id": product["id"], "quantity": rng.randint(1, 2)}
    )
    return product if answer.ok else None


def checkout(browser, card):
    return browser.call(
        "POST",
        "/api/v1/orders/checkout/",
        {
            "shipping_address": "12 Simulated Street, Testville",
            "payment": {"card_number": card, "expiry": "12/39", "cvv": "123"},
        },
    )


def buy(browser, rng, card=VALID_CARD_NUMBER):
    browser.page_view(lcp_ms=rng.uniform(400, 2500))
    if login(browser, rng).ok and fill_cart(browser, rng):
        answer = checkout(browser, card)
        if not answer.ok:
            browser.script_error("CheckoutError", (answer.body or {}).get("detail", "failed"))


def declined(browser, rng):
    buy(browser, rng, card=DECLINED_CARD_NUMBER)


def out_of_stock(browser, rng):
    """Asks for more than is left: the cart refuses, and the page reports it."""
    login(browser, rng)
    product = browse(browser, rng)
    if product:
        answer = browser.call(
            "POST",
            "/api/v1/cart/items/",
            {"product_id": product["id"], "quantity": product["stock"] + 5},
        )
        detail = (answer.body or {}).get("errors", {}).get("quantity", ["Out of stock"])[0]
        browser.script_error("OutOfStockError", detail)


def slow_recommendations(browser, rng):
    browse(browser, rng)
    browser.call("GET", "/api/v1/recommendations/", complete=True)


def related_products(browser, rng):
    product = browse(browser, rng)
    if product:
        browser.call("GET", f"/api/v1/products/{product['id']}/related/", complete=True)


def bad_input(browser, rng):
    if rng.random() < 0.5:
        login(browser, rng, password="not-my-password")
    elif login(browser, rng).ok and fill_cart(browser, rng):
        checkout(browser, card="4242 4242 4242 4241")  # a typo: fails the Luhn check


def shipping_estimate(browser, rng):
    """Some customers ship to a country the estimate does not know: the endpoint crashes."""
    browse(browser, rng)
    country = rng.choice(["US", "GB", "DE", "FR", "JP", "BR"])
    browser.call("GET", f"/api/v1/shipping/estimate/?country={country}", complete=True)


def just_login(browser, rng):
    login(browser, rng)


def journey(browser, rng):
    """A visit: sign in, browse, fill the cart, pay, each its own workflow under the
    browser's journey id (the funnel's steps). Some stop on the way: a wrong password,
    nothing they wanted, a refused cart, a declined card (half of them pay with another card
    in a new checkout)."""
    browser.journey_id = secrets.token_hex(12)
    browser.start_workflow("login")
    password = "not-my-password" if rng.random() < 0.1 else None
    if not login(browser, rng, password=password).ok:
        return
    browser.start_workflow("product_fetch")
    product = browse(browser, rng, complete=True)
    if product is None or rng.random() < 0.25:
        return
    browser.start_workflow("cart_update")
    quantity = product["stock"] + 5 if rng.random() < 0.1 else rng.randint(1, 2)
    item = {"product_id": product["id"], "quantity": quantity}
    if not browser.call("POST", "/api/v1/cart/items/", item, complete=True).ok:
        browser.script_error("OutOfStockError", "Not enough left in stock.")
        return
    browser.start_workflow("checkout")
    answer = checkout(browser, DECLINED_CARD_NUMBER if rng.random() < 0.2 else VALID_CARD_NUMBER)
    if not answer.ok:
        browser.script_error("CheckoutError", (answer.body or {}).get("detail", "failed"))
        if rng.random() < 0.5:  # another card, in a checkout of its own
            browser.start_workflow("checkout")
            checkout(browser, VALID_CARD_NUMBER)


# (workflow type, scenario, weight)
SCENARIOS = [
    ("checkout", buy, 45),
    ("checkout", declined, 10),
    ("cart_update", out_of_stock, 6),
    ("product_fetch", slow_recommendations, 8),
    ("product_fetch", related_products, 10),
    ("login", bad_input, 8),
    ("product_fetch", shipping_estimate, 8),
    ("login", just_login, 5),
]


# Visits of several workflows; "journey" is no workflow type: each starts its own.
JOURNEYS = [("journey", journey, 20)]


def pick(rng: random.Random):
    everything = SCENARIOS + JOURNEYS
    workflow_type, scenario, _ = rng.choices(everything, weights=[s[2] for s in everything])[0]
    return workflow_type, scenario
