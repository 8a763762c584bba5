"""The toolbar panel marks a used file whose references have problems: references to it, and
the references inside it (a stylesheet's url() to a missing font)."""

from __future__ import annotations

import pytest
from debug_toolbar.toolbar import DebugToolbar
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import RequestFactory, override_settings

from tests.support.layout import Layout, age

FS = "django.contrib.staticfiles.finders.FileSystemFinder"
PAGE = (
    "{% load static %}<html><head>"
    "<link rel=stylesheet href=\"{% static 'css/fonts.css' %}\">"
    "<link rel=stylesheet href=\"{% static 'css/fine.css' %}\"></head><body></body></html>"
)


def view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(PAGE).render({}, request))


@pytest.mark.django_db
def test_the_panel_marks_used_files_with_reference_problems(layout: Layout) -> None:
    static, folder = layout.folder("static"), layout.folder("templates")
    layout.write(static, "css/fonts.css", '@font-face { src: url("../fonts/gone.woff2") }\n')
    layout.write(static, "css/fine.css", "body { color: red }\n")
    layout.write(folder, "old.html", '<link href="/static/css/fine.css">\n')
    age(layout.root)
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [folder],
            "APP_DIRS": True,
        }
    ]
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with (
        layout.settings(dirs=[static], finders=[FS], TEMPLATES=templates, STORAGES=storages),
        override_settings(
            DEBUG=True,
            DEBUG_TOOLBAR_PANELS=["inspector.panels.AssetsPanel"],
            DEBUG_TOOLBAR_CONFIG={"IS_RUNNING_TESTS": False},
        ),
    ):
        request = RequestFactory().get("/page/")
        # The panel shows its rows to a user who may view the inspector only.
        request.user = User(username="staff", is_staff=True, is_superuser=True)
        toolbar = DebugToolbar(request, view)
        panel = toolbar.get_panel_by_id("AssetsPanel")
        panel.enable_instrumentation()
        try:
            response = toolbar.process_request(request)
        finally:
            panel.disable_instrumentation()
        panel.generate_stats(request, response)
        stats = panel.get_stats()
        content = panel.content
    files = {row["path"]: row for row in stats["files"]}
    (inside,) = files["css/fonts.css"]["reference_problems"]
    assert (inside["problem"], inside["inside"], inside["reference"]) == (
        "not-found",
        True,
        "../fonts/gone.woff2",
    )
    (to_it,) = files["css/fine.css"]["reference_problems"]
    assert (to_it["problem"], to_it["inside"], to_it["kind"]) == (
        "bypasses-manifest",
        False,
        "hardcoded-url",
    )
    assert to_it["where"] == f"{folder / 'old.html'}:1"
    assert stats["bad_references"] == 2
    assert "reference inside it" in content and "1 reference problem" in content
