"""URLs of the demo shop."""

from __future__ import annotations

from django.urls import path

from demo.shop import views

app_name = "shop"

urlpatterns = [
    path("", views.home, name="home"),
    path("checkout/", views.checkout, name="checkout"),
    path("references/", views.references, name="references"),
]
