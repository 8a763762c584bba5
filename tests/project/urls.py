"""URLs of the app's test project: the inspector where the README mounts it, and the toolbar."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("assets/", include("inspector.urls")),
    # Always mounted: the toolbar itself only shows when a test turns DEBUG on.
    path("__debug__/", include("debug_toolbar.urls")),
]
