"""The panel's layers: kept while no file behind the request's assets changed, checked again
as soon as one did."""

from __future__ import annotations

import os

from inspector.core.layers import current_layers
from inspector.panels.data import _changed
from tests.support.layout import Layout, collected_app

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
FILES = {"css/site.css": "body { margin: 0 }\n", "css/other.css": "p { margin: 0 }\n"}


def test_the_kept_layers_stand_until_a_file_behind_the_request_changes(layout: Layout) -> None:
    with collected_app(layout, "paneldata", FILES, MANIFEST) as static:
        layers = current_layers()
        assert not _changed(layers, ["css/site.css", "css/other.css"])
        edited = static / "css" / "site.css"
        edited.write_text("body { margin: 1px }\n")
        assert _changed(layers, ["css/site.css"])
        assert not _changed(layers, ["css/other.css"])
        manifest = layout.root / "collected" / "staticfiles.json"
        os.utime(manifest, ns=(0, 0))
        assert _changed(layers, ["css/other.css"]), "the manifest changed"
