"""Driving the example shop's storefront page in Chromium as a customer does."""

from datetime import date

from tests.shop_data import ALICE, ALICE_PASSWORD, DECLINED_CARD, VALID_CARD, as_typed


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


def add_to_cart(page, expect, product):
    page.get_by_role("button", name=f"Add {product.name} to cart").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)


def declined_then_paid(page, expect):
    """A checkout with the declined card, then the retry with a good one; the correlation
    IDs the page showed after each, ``(declined, paid)``."""
    status, shown = page.get_by_test_id("workflow-status"), page.get_by_test_id("correlation-id")
    check_out(page, as_typed(DECLINED_CARD))
    expect(status).to_have_text("finished: checkout failed")
    declined = shown.inner_text().strip()
    page.get_by_label("Card number").fill(as_typed(VALID_CARD))
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_test_id("checkout-success")).to_contain_text("is placed")
    expect(status).to_have_text("finished: order placed")
    return declined, shown.inner_text().strip()
