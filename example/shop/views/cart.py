from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import flowscope
from shop import cart
from shop.serializers import AddCartItemSerializer, CartItemSerializer, UpdateCartItemSerializer


@flowscope.step("cart.price")
def cart_data(user):
    """The cart as the customer sees it; its step carries the total shown (what the
    checkout must charge, an invariant of the shop's)."""
    items = cart.cart_for(user).items.select_related("product__category")
    lines = CartItemSerializer(items, many=True).data
    total = sum(item.product.price * item.quantity for item in items)
    flowscope.annotate(cart_total=f"{total:.2f}")
    return {
        "items": lines,
        "item_count": sum(line["quantity"] for line in lines),
        "total": f"{total:.2f}",
    }


class CartView(APIView):
    """The caller's cart."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response(cart_data(request.user))


class CartItemsView(APIView):
    """Add a product to the cart: ``{product_id, quantity}``; answers with the cart."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        serializer = AddCartItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart.add_item(request.user, **serializer.validated_data)
        return Response(cart_data(request.user), status=status.HTTP_201_CREATED)


class CartItemDetailView(APIView):
    """Change a cart line's quantity (``PATCH {quantity}``) or remove it (``DELETE``)."""

    permission_classes = [IsAuthenticated]

    def patch(self, request, item_id):
        serializer = UpdateCartItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart.set_quantity(request.user, item_id, serializer.validated_data["quantity"])
        return Response(cart_data(request.user))

    def delete(self, request, item_id):
        cart.remove_item(request.user, item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
