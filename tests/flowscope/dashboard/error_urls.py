"""The example shop's URLs and a view that fails with secrets in its locals."""

from django.urls import path

from ecommerce_project.urls import handler500
from ecommerce_project.urls import urlpatterns as shop_urlpatterns
from tests.flowscope.capture.views import card_crash_view

urlpatterns = [path("card-crash/", card_crash_view), *shop_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
