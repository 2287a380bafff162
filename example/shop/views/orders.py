from rest_framework import status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.checkout import checkout
from shop.models import Order
from shop.serializers import CheckoutSerializer, OrderSerializer


class CheckoutView(APIView):
    """Turn the cart into a paid order:
    ``{shipping_address, payment: {card_number, expiry, cvv}}``."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        serializer = CheckoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = checkout(request.user, data["shipping_address"], data["payment"]["card_number"])
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OwnOrdersMixin:
    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer

    def get_queryset(self):
        return Order.objects.filter(user=self.request.user).prefetch_related("items__product")


class OrderListView(OwnOrdersMixin, ListAPIView):
    """The caller's orders, newest first."""


class OrderDetailView(OwnOrdersMixin, RetrieveAPIView):
    """One of the caller's orders; anyone else's is a 404."""
