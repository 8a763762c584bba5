"""The demo's URLconf with the toolbar mounted: the demo mounts it only when DEBUG is on at
import, and tests import it with DEBUG off, then turn DEBUG on per test."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from config.urls import urlpatterns as demo_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    *demo_urlpatterns,
    path("__debug__/", include("debug_toolbar.urls")),
]
