"""The shop's business errors. Each knows the HTTP status it maps to (see ``errors.py``)."""


class ShopError(Exception):
    status_code = 400
    code = "shop_error"

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details


class EmptyCart(ShopError):
    code = "empty_cart"


class OutOfStock(ShopError):
    status_code = 409
    code = "out_of_stock"


class PaymentDeclined(ShopError):
    status_code = 402
    code = "payment_declined"


class PaymentGatewayUnavailable(ShopError):
    status_code = 502
    code = "payment_gateway_unavailable"
