"""Cart changes. Quantities are checked against stock with the product row locked."""

from django.db import transaction
from rest_framework.exceptions import NotFound, ValidationError

from shop.models import Cart, CartItem, Product


def cart_for(user):
    cart, _ = Cart.objects.get_or_create(user=user)
    return cart


def _check_stock(product, quantity):
    if quantity > product.stock:
        raise ValidationError({"quantity": [f"Only {product.stock} of {product.name!r} in stock."]})


@transaction.atomic
def add_item(user, product_id, quantity):
    """Add ``quantity`` of a product; a product already in the cart has its line raised."""
    cart = cart_for(user)
    product = Product.objects.select_for_update().get(pk=product_id)
    item = CartItem.objects.filter(cart=cart, product=product).first()
    total = quantity + (item.quantity if item else 0)
    _check_stock(product, total)
    if item is None:
        return CartItem.objects.create(cart=cart, product=product, quantity=quantity)
    item.quantity = total
    item.save(update_fields=["quantity"])
    return item


def own_item(user, item_id):
    """The user's cart line ``item_id``; another user's line is as absent as a missing one."""
    try:
        return CartItem.objects.select_related("product").get(pk=item_id, cart__user=user)
    except CartItem.DoesNotExist:
        raise NotFound(f"Cart item {item_id} is not in your cart.") from None


@transaction.atomic
def set_quantity(user, item_id, quantity):
    item = own_item(user, item_id)
    product = Product.objects.select_for_update().get(pk=item.product_id)
    _check_stock(product, quantity)
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return item


def remove_item(user, item_id):
    own_item(user, item_id).delete()
