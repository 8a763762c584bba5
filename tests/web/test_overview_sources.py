"""The overview's sources table carries the bars (no chart repeating it), and counts read as
English: "1 file", "2 files"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import inspector
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
CSS = Path(inspector.__file__).parent / "static" / "inspector" / "inspector.css"


def test_one_collected_file_reads_1_file(viewer_client: Client, layout: Layout) -> None:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    layout.write(layout.folder("collected"), "css/site.css", "body {}")
    with layout.settings(dirs=[project]):
        page = viewer_client.get(reverse("inspector:overview")).content.decode()
    assert "1 file listed in" in page
    assert "1 files" not in page


def test_file_bars_are_not_drawn_in_the_warning_colour() -> None:
    css = CSS.read_text()
    rules = re.findall(r"([^{}]*\.share-files[^{}]*)\{([^}]*)\}", css)
    assert rules, "the file bars are styled"
    assert all("--warn" not in body for _, body in rules)
