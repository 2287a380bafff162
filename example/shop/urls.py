from django.urls import path

from shop.views import auth, cart, orders, products, recommendations, shipping

urlpatterns = [
    path("auth/login/", auth.LoginView.as_view(), name="login"),
    path("auth/logout/", auth.LogoutView.as_view(), name="logout"),
    path("products/", products.ProductListView.as_view(), name="product-list"),
    path("products/<int:pk>/", products.ProductDetailView.as_view(), name="product-detail"),
    path(
        "products/<int:pk>/related/", products.RelatedProductsView.as_view(), name="product-related"
    ),
    path("recommendations/", recommendations.RecommendationsView.as_view(), name="recommendations"),
    path("shipping/estimate/", shipping.ShippingEstimateView.as_view(), name="shipping-estimate"),
    path("cart/", cart.CartView.as_view(), name="cart"),
    path("cart/items/", cart.CartItemsView.as_view(), name="cart-items"),
    path("cart/items/<int:item_id>/", cart.CartItemDetailView.as_view(), name="cart-item"),
    path("orders/", orders.OrderListView.as_view(), name="order-list"),
    path("orders/<int:pk>/", orders.OrderDetailView.as_view(), name="order-detail"),
    path("orders/checkout/", orders.CheckoutView.as_view(), name="checkout"),
]
