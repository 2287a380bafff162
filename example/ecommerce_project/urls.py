from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path, re_path

from shop.errors import api_not_found
from shop.views.storefront import StorefrontView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Flowscope: the dashboard page, its API, ingest and OTLP; its sockets under ws/.
    path("debugging/", include("flowscope.urls")),
    # Flowscope's API where earlier releases put it, for the clients that call it there
    # (the storefront's and the simulator's ingest); a namespace of its own.
    path("api/v1/debugging/", include("flowscope.urls", namespace="flowscope-api-v1")),
    path("api/v1/", include("shop.urls")),
    path("shop/", StorefrontView.as_view(), name="storefront"),
    # Last: any other path under /api/ is a JSON 404, whatever DEBUG says.
    re_path(r"^api/", api_not_found),
]

# Static files (the storefront's and flowscope's scripts) when DEBUG is on.
urlpatterns += staticfiles_urlpatterns()

handler500 = "shop.errors.server_error"
