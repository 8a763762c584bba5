"""The overview counts each row once per layer (issue 15, item 13)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.support.layout import Layout
from tests.support.own_files import OWN_COUNT

pytestmark = pytest.mark.django_db
MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


def test_unknown_is_counted_once_when_static_root_is_a_file(
    viewer_client: Client, layout: Layout
) -> None:
    project = layout.folder("project")
    layout.write(project, "css/a.css", "a {}")
    layout.write(project, "css/b.css", "b {}")
    root = layout.root / "root-is-a-file"
    root.write_text("not a folder")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": MANIFEST},
    }
    with (
        layout.settings(dirs=[str(project)], STORAGES=storages),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr("django.conf.settings.STATIC_ROOT", str(root))
        page = viewer_client.get(reverse("inspector:overview")).content.decode()
        summary = viewer_client.get(reverse("inspector:summary")).json()
    live = re.search(r'\?live=unknown"><strong>(\d+)</strong>', page)
    manifest = re.search(r'\?manifest=unknown"><strong>(\d+)</strong>', page)
    paths = re.search(r'<p class="lead">(\d+) paths', page)
    assert live is not None and manifest is not None and paths is not None
    # The two project files and the inspector's own files: each unknown once per layer.
    count = 2 + OWN_COUNT
    assert (
        (live.group(1), manifest.group(1)) == (paths.group(1), paths.group(1)) == (str(count),) * 2
    )
    assert (summary["live"]["unknown"], summary["manifest"]["unknown"]) == (int(count),) * 2
