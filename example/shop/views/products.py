from django.db.models import Q
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from shop import catalog
from shop.models import Product
from shop.serializers import ProductQuerySerializer, ProductSerializer


class ProductListView(ListAPIView):
    """Products, paginated, with ``?search=`` (name, description) and ``?category=<slug>``."""

    serializer_class = ProductSerializer

    def get_queryset(self):
        query = ProductQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        products = Product.objects.select_related("category")
        if search := query.validated_data.get("search"):
            products = products.filter(Q(name__icontains=search) | Q(description__icontains=search))
        if category := query.validated_data.get("category"):
            products = products.filter(category__slug=category)
        return products

    def list(self, request, *args, **kwargs):
        fingerprint = f"{request.get_host()}?{sorted(request.query_params.lists())}"
        data = catalog.cached(
            catalog.list_key(fingerprint), lambda: super(ProductListView, self).list(request).data
        )
        return Response(data)


class ProductDetailView(RetrieveAPIView):
    """One product, read through the cache."""

    queryset = Product.objects.select_related("category")
    serializer_class = ProductSerializer

    def retrieve(self, request, *args, **kwargs):
        key = catalog.product_key(self.kwargs["pk"])
        return Response(catalog.cached(key, lambda: self.get_serializer(self.get_object()).data))


class RelatedProductsView(APIView):
    """Products of the same category.

    DELIBERATELY UNOPTIMIZED (an N+1 query pattern for flowscope to find): each related
    product's category is loaded with its own query, because the queryset lacks
    ``select_related("category")``. Do not copy this view.
    """

    limit = 12

    def get(self, request, pk):
        product = Product.objects.filter(pk=pk).first()
        if product is None:
            return Response(
                {"detail": f"Product {pk} does not exist.", "code": "not_found"}, status=404
            )
        related = Product.objects.filter(category_id=product.category_id).exclude(pk=pk)
        results = [
            {
                "id": item.id,
                "name": item.name,
                "price": f"{item.price:.2f}",
                "category": item.category.name,
            }  # one query per item: the N+1
            for item in related[: self.limit]
        ]
        return Response({"product_id": pk, "results": results})
