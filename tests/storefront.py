"""Driving the example shop's storefront page in Chromium as a customer does."""

from datetime import date

from tests.shop_data import ALICE, ALICE_PASSWORD


def future_expiry():
    return f"12/{(date.today().year + 5) % 100:02d}"


def sign_in(page, base_url, expect, products=None):
    """Open the storefront and sign in as alice; ``products``: how many it must list."""
    page.goto(f"{base_url}/shop/")
    page.get_by_label("Username").fill(ALICE)
    page.get_by_label("Password").fill(ALICE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    listed = page.get_by_test_id("product")
    if products is None:
        expect(listed.first).to_be_visible()
    else:
        expect(listed).to_have_count(products)
    expect(page.get_by_test_id("session-user")).to_have_text(ALICE)


def check_out(page, card):
    page.get_by_label("Shipping address").fill("1 Main St\nSpringfield")
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry (MM/YY)").fill(future_expiry())
    page.get_by_label("CVV").fill("123")
    page.get_by_role("button", name="Place order").click()
