from __future__ import annotations

from django.urls import path, register_converter

from .web import collect_views, reference_views, summary, views


class StaticPathConverter:
    """Any static path, newlines included: file names may hold anything but a NUL."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(StaticPathConverter, "static_path")

app_name = "inspector"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("summary.json", summary.summary, name="summary"),
    path("paths/", views.paths, name="paths"),
    path("paths/<static_path:path>", views.path_detail, name="path"),
    path("references/", reference_views.references, name="references"),
    path("recheck/", views.recheck, name="recheck"),
    path("probe/", views.probe, name="probe"),
    path("collect/", collect_views.collect, name="collect"),
    path("collect/runs/", collect_views.runs, name="runs"),
    path("collect/runs/<int:pk>/", collect_views.run_detail, name="run"),
    path("collect/runs/<int:pk>/cancel/", collect_views.run_cancel, name="run-cancel"),
]
