from __future__ import annotations

from django.urls import path, re_path, register_converter

from .core.paths import to_url_part
from .web import assets, collect_views, reference_views, release_views, summary, views


class StaticPathConverter:
    """Any static path, newlines included: file names may hold anything but a NUL."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        # A name that is not UTF-8 goes into the URL as "%FF" text; the views read it back.
        return to_url_part(value)


register_converter(StaticPathConverter, "static_path")

app_name = "inspector"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("summary.json", summary.summary, name="summary"),
    path("own/<str:name>", assets.own_asset, name="asset"),
    path("paths/", views.paths, name="paths"),
    path("paths/<static_path:path>", views.path_detail, name="path"),
    path("references/", reference_views.references, name="references"),
    path("recheck/", views.recheck, name="recheck"),
    path("probe/", views.probe, name="probe"),
    path("releases/", release_views.releases, name="releases"),
    path("collect/", collect_views.collect, name="collect"),
    path("collect/runs/", collect_views.runs, name="runs"),
    path("collect/runs/<int:pk>/", collect_views.run_detail, name="run"),
    path("collect/runs/<int:pk>/cancel/", collect_views.run_cancel, name="run-cancel"),
    # Last: any other address under the inspector's gets its 404 in the inspector's layout.
    re_path(r"^(?P<rest>.*)$", views.unknown_page, name="unknown"),
]
