from rest_framework.response import Response
from rest_framework.views import APIView

# Flat rate and days to deliver, by destination.
RATES = {"US": ("4.99", 3), "GB": ("6.49", 4), "DE": ("5.99", 4), "FR": ("5.99", 5)}


class ShippingEstimateView(APIView):
    """Shipping cost and delivery time for ``?country=<ISO code>``.

    DELIBERATELY BUGGY (for flowscope to catch): a country missing from ``RATES`` raises a
    KeyError, so the caller gets a 500 instead of a 400. Do not copy this view.
    """

    def get(self, request):
        country = request.query_params.get("country", "US").upper()
        price, days = RATES[country]  # the bug: no check for unknown countries
        return Response({"country": country, "price": price, "days": days})
