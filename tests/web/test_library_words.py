"""What the library's pages say holds in any project: no words of the demo, and no claim about a
remote listing when there is no folder to collect to."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

import inspector
from inspector.models import CollectionRun
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
TEMPLATES = Path(inspector.__file__).parent / "templates"


def test_no_library_template_speaks_of_the_demo() -> None:
    for template in TEMPLATES.rglob("*.html"):
        assert "demo" not in template.read_text().lower(), template.name


def test_a_queued_run_names_the_worker_without_the_demo(viewer_client: Client) -> None:
    run = CollectionRun.objects.create()
    page = viewer_client.get(reverse("inspector:run", args=[run.pk])).content.decode()
    assert "Waiting for a worker" in page
    assert "demo" not in page


def test_without_static_root_the_overview_says_nothing_can_be_collected(
    viewer_client: Client, layout: Layout
) -> None:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    with layout.settings(dirs=[project]), override_settings(STATIC_ROOT=None):
        page = viewer_client.get(reverse("inspector:overview")).content.decode()
    assert "REMOTE_MAX_AGE" not in page, "nothing remote is listed"
    assert "<code>STATIC_ROOT</code> is not set" in page
    assert "Nothing can be collected without" in page
    assert "A collection would change nothing" not in page


def test_with_static_root_the_overview_shows_the_folder(
    viewer_client: Client, layout: Layout
) -> None:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    with layout.settings(dirs=[project]):
        page = viewer_client.get(reverse("inspector:overview")).content.decode()
    assert str(layout.root / "collected") in page
    assert "is not set" not in page
