from django.contrib import admin
from django.urls import include, path, re_path

from shop.errors import api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("shop.urls")),
    # Last: any other path under /api/ is a JSON 404, whatever DEBUG says.
    re_path(r"^api/", api_not_found),
]

handler500 = "shop.errors.server_error"
