"""URLs of the benchmark project: the dashboard only."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("assets/", include("inspector.urls"))]
