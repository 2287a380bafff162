import time

from django.conf import settings
from django.db.models import Sum
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.models import Product


class RecommendationsView(APIView):
    """Best sellers.

    DELIBERATELY SLOW (for flowscope to find): it stands for a slow recommendation engine
    and waits ``SHOP_SLOW_ENDPOINT_DELAY_MS`` (default 1,500 ms) before answering.
    """

    limit = 8

    def get(self, request):
        time.sleep(settings.SHOP_SLOW_ENDPOINT_DELAY_MS / 1000)
        best = Product.objects.annotate(sold=Sum("orderitem__quantity")).order_by("-sold", "id")[
            : self.limit
        ]
        return Response(
            {
                "results": [
                    {"id": p.id, "name": p.name, "price": f"{p.price:.2f}", "sold": p.sold or 0}
                    for p in best
                ]
            }
        )
