from django.core.cache import cache
from django.http import JsonResponse

from catalog.models import Item

HITS_KEY = "catalog:hits"


def work(request):
    """Four ORM queries and two cache operations: a common shape of a small JSON view."""
    count = Item.objects.count()
    cheapest = Item.objects.filter(category="tools").order_by("price").first()
    top = list(Item.objects.order_by("-price")[:10])
    again = Item.objects.get(pk=cheapest.pk)
    hits = (cache.get(HITS_KEY) or 0) + 1
    cache.set(HITS_KEY, hits, 300)
    return JsonResponse(
        {"count": count, "cheapest": again.name, "top": [item.name for item in top], "hits": hits}
    )


def empty(request):
    return JsonResponse({})
