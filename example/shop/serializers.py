import re
from datetime import date

from rest_framework import serializers

from shop.models import CartItem, Category, Order, OrderItem, Product


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class ProductSerializer(serializers.ModelSerializer):
    category = CategorySerializer(read_only=True)

    class Meta:
        model = Product
        fields = ["id", "name", "slug", "description", "price", "stock", "category"]


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class ProductQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, max_length=100)
    category = serializers.SlugField(required=False, max_length=100)

    def validate_category(self, slug):
        if not Category.objects.filter(slug=slug).exists():
            raise serializers.ValidationError(f"Unknown category {slug!r}.")
        return slug


class CartItemSerializer(serializers.ModelSerializer):
    product = ProductSerializer(read_only=True)
    subtotal = serializers.SerializerMethodField()

    class Meta:
        model = CartItem
        fields = ["id", "product", "quantity", "subtotal"]

    def get_subtotal(self, item):
        return f"{item.product.price * item.quantity:.2f}"


class AddCartItemSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1)

    def validate_product_id(self, product_id):
        if not Product.objects.filter(pk=product_id).exists():
            raise serializers.ValidationError(f"Product {product_id} does not exist.")
        return product_id


class UpdateCartItemSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)


def luhn_valid(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class PaymentSerializer(serializers.Serializer):
    card_number = serializers.CharField(max_length=32)
    expiry = serializers.CharField(max_length=5, help_text="MM/YY")
    cvv = serializers.RegexField(r"\A\d{3,4}\Z", error_messages={"invalid": "3 or 4 digits."})

    def validate_card_number(self, value):
        digits = re.sub(r"[ -]", "", value)
        if not re.fullmatch(r"\d{12,19}", digits):
            raise serializers.ValidationError("A card number has 12 to 19 digits.")
        if not luhn_valid(digits):
            raise serializers.ValidationError("This is not a valid card number.")
        return digits

    def validate_expiry(self, value):
        match = re.fullmatch(r"(0[1-9]|1[0-2])/(\d{2})", value)
        if not match:
            raise serializers.ValidationError("Use MM/YY.")
        month, year = int(match[1]), 2000 + int(match[2])
        today = date.today()
        if (year, month) < (today.year, today.month):
            raise serializers.ValidationError("This card has expired.")
        return value


class CheckoutSerializer(serializers.Serializer):
    shipping_address = serializers.CharField(max_length=500)
    payment = PaymentSerializer()


class OrderItemSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = OrderItem
        fields = ["product_id", "product_name", "quantity", "unit_price"]


class OrderSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "status",
            "shipping_address",
            "total",
            "card_last4",
            "payment_reference",
            "created_at",
            "items",
        ]
