"""App configuration of the demo shop."""

from __future__ import annotations

from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The demo storefront."""

    name = "demo.shop"
    label = "demo_shop"
    verbose_name = "Demo shop"
