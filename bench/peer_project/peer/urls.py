from catalog import views
from django.urls import path

urlpatterns = [
    path("work/", views.work),
    path("empty/", views.empty),
]
