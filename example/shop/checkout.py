"""Checkout: the cart becomes an order in one transaction, or nothing changes at all."""

from django.db import transaction
from django.db.models import F

import flowscope
from shop import catalog, payments
from shop.exceptions import EmptyCart, OutOfStock
from shop.models import Cart, Order, OrderItem, Product


@flowscope.step("checkout.place_order")
def checkout(user, shipping_address, card_number):
    """Place the user's cart as an order and return it.

    Products are locked in id order (no deadlock between two checkouts), stock is checked
    and decremented, and the card is charged last, still inside the transaction: a decline
    or gateway error raises and rolls everything back, so no order exists without payment
    and no stock is taken for an unpaid order. The step carries the order's total and
    number of lines, which the shop's invariants check the queries and the charge against.
    """
    with transaction.atomic():
        cart = Cart.objects.select_for_update().filter(user=user).first()
        lines = list(cart.items.all()) if cart else []
        if not lines:
            raise EmptyCart("Your cart is empty.")
        products = Product.objects.select_for_update().order_by("id")
        products = products.in_bulk([line.product_id for line in lines])
        _check_stock(lines, products)
        total = sum(products[line.product_id].price * line.quantity for line in lines)
        flowscope.annotate(order_total=f"{total:.2f}", line_count=len(lines))
        order = Order.objects.create(
            user=user,
            shipping_address=shipping_address,
            total=total,
            card_last4=card_number[-4:],
            payment_reference="pending",
        )
        OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=products[line.product_id].price,
            )
            for line in lines
        )
        for line in lines:
            Product.objects.filter(pk=line.product_id).update(stock=F("stock") - line.quantity)
        cart.items.all().delete()
        charge = payments.charge(total, card_number)
        order.payment_reference = charge.reference
        order.save(update_fields=["payment_reference"])
        transaction.on_commit(lambda: catalog.invalidate(list(products)))
    return order


def _check_stock(lines, products):
    shortages = [
        {
            "product_id": line.product_id,
            "requested": line.quantity,
            "available": products[line.product_id].stock,
        }
        for line in lines
        if line.quantity > products[line.product_id].stock
    ]
    if shortages:
        raise OutOfStock("Some items are no longer in stock.", items=shortages)
