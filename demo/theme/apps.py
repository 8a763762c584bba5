"""App configuration of the demo theme."""

from __future__ import annotations

from django.apps import AppConfig


class ThemeConfig(AppConfig):
    """Listed before django.contrib.admin so its static files take precedence."""

    name = "demo.theme"
    label = "demo_theme"
    verbose_name = "Demo theme"
