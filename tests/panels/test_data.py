"""The panel's layers: kept while no file behind the request's assets changed, checked again
as soon as one did."""

from __future__ import annotations

import os

from django.core.management import call_command

from inspector.core.layers import current_layers
from inspector.panels.data import _changed
from tests.support.layout import Layout, age

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


def test_the_kept_layers_stand_until_a_file_behind_the_request_changes(layout: Layout) -> None:
    app, static = layout.app("paneldata")
    layout.write(static, "css/site.css", "body { margin: 0 }\n")
    layout.write(static, "css/other.css", "p { margin: 0 }\n")
    with layout.settings(apps=[app], STORAGES=STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
        age(layout.root)
        layers = current_layers()
        assert not _changed(layers, ["css/site.css", "css/other.css"])
        edited = static / "css" / "site.css"
        edited.write_text("body { margin: 1px }\n")
        assert _changed(layers, ["css/site.css"])
        assert not _changed(layers, ["css/other.css"])
        manifest = layout.root / "collected" / "staticfiles.json"
        os.utime(manifest, ns=(0, 0))
        assert _changed(layers, ["css/other.css"]), "the manifest changed"
