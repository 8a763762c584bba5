"""Reading the manifest: hostile text is reported, and one version is parsed once."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files.storage import InMemoryStorage
from django.core.management import call_command

from inspector.core.layers import current_layers
from inspector.core.manifest.reading import has_local_manifest, parse_manifest
from inspector.core.status import ManifestStatus
from tests.support.layout import Layout, age

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": MANIFEST},
}


def test_a_deeply_nested_manifest_is_reported_not_raised(layout: Layout) -> None:
    nested = "[" * 200_000 + "]" * 200_000
    assert "malformed manifest" in str(parse_manifest(nested).problem)
    app, static = layout.app("nested")
    layout.write(static, "css/a.css", "a {}")
    with layout.settings(apps=[app], STORAGES=STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
        (layout.root / "collected" / "staticfiles.json").write_text(nested)
        age(layout.root)
        manifest = current_layers().manifest
        assert manifest.problems and "malformed manifest" in manifest.problems[0]
        assert manifest.entry("css/a.css").status == ManifestStatus.UNKNOWN


def test_one_version_of_the_manifest_is_parsed_once(layout: Layout) -> None:
    app, static = layout.app("once")
    layout.write(static, "css/a.css", "a {}")
    layout.write(static, "css/b.css", "b {}")
    with layout.settings(apps=[app], STORAGES=STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
        manifest_file = layout.root / "collected" / "staticfiles.json"
        # A large manifest: a thousand entries more than the sources have.
        stored = json.loads(manifest_file.read_text())
        stored["paths"].update({f"old/{n}.css": f"old/{n}.0123456789ab.css" for n in range(1000)})
        manifest_file.write_text(json.dumps(stored))
        age(layout.root)
        first = current_layers().manifest
        # A source edit rebuilds the report; the manifest file did not change.
        edited = Path(static / "css" / "b.css")
        edited.write_text("b { color: red }")
        age(static)
        second = current_layers().manifest
        assert second is not first
        assert second.entry("css/b.css").status == ManifestStatus.STALE
        assert first.parsed is not None and second.parsed is first.parsed
        # A new version of the manifest is parsed anew.
        stored["paths"]["old/extra.css"] = "old/extra.0123456789ab.css"
        manifest_file.write_text(json.dumps(stored))
        age(layout.root)
        third = current_layers().manifest
        assert third.parsed is not first.parsed and third.entry_count == second.entry_count + 1
        # The same text written again (a collectstatic that changed nothing) is not parsed
        # again: the reading is known by its text's md5, not by the file's stamp.
        manifest_file.write_text(json.dumps(stored))
        age(layout.root)
        fourth = current_layers().manifest
        assert fourth.parsed is third.parsed


def test_only_a_manifest_file_in_a_local_folder_is_found_without_reading_it(
    tmp_path: Path,
) -> None:
    """What a check asks before it reads the manifest, to start reading the sources meanwhile."""
    local = ManifestStaticFilesStorage(location=str(tmp_path))
    assert not has_local_manifest(local), "not collected yet"
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    assert has_local_manifest(local)
    elsewhere = ManifestStaticFilesStorage(
        location=str(tmp_path), manifest_storage=InMemoryStorage()
    )
    assert not has_local_manifest(elsewhere), "kept in another storage: read to be known"
