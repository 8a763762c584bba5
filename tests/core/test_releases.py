"""The release-specific manifest pattern on disk: two real collections, found, compared, judged.

Both forms teams write: a ``release_id`` option, and a strategy function (the git hash of a
checkout). ``tests/releases.py`` collects a first release, edits sources, and collects the second
over it, as consecutive deploys do.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files.storage import FileSystemStorage
from django.test import override_settings
from storages.backends.s3 import S3ManifestStaticStorage, S3Storage

from inspector.core import caches
from inspector.core.layers import current_layers
from inspector.core.manifest.releases import ReleaseLayout, compare_releases, release_layout
from inspector.core.selection import PathFilter, failures
from inspector.core.severity import judge_release
from inspector.core.status import (
    LiveStatus,
    ManifestFinding,
    ReleaseChange,
    ReleaseStatus,
    Severity,
)
from inspector.core.storage.instance import inspecting_class
from tests.support.layout import Layout, age
from tests.support.own_files import OWN_COUNT
from tests.support.releases import (
    ADDED,
    CHANGED,
    FIRST,
    RELEASE_STORAGE,
    REMOVED,
    Releases,
    collect_release,
    two_releases,
)


@pytest.fixture(params=["option", "git"])
def releases(request: pytest.FixtureRequest, layout: Layout) -> Iterator[Releases]:
    with two_releases(layout, request.param) as collected:
        yield collected


def test_both_releases_are_found_and_the_configured_one_is_marked(releases: Releases) -> None:
    manifest = current_layers().manifest
    assert [r.id for r in manifest.releases] == [releases.second, releases.first]
    second, first = manifest.releases
    assert second.configured and not first.configured
    # Every path collected, the inspector's own files among them.
    assert first.entries == len(FIRST) + OWN_COUNT
    assert second.entries == first.entries + len(ADDED) - len(REMOVED)
    for release in (first, second):
        assert release.entries == len(
            json.loads(releases.manifest_of(release.id).read_text())["paths"]
        )
        assert release.status == ReleaseStatus.OK and release.missing == ()
        assert release.manifest == f"{release.id}/staticfiles.json"
        stamp = releases.manifest_of(release.id).stat().st_mtime
        assert release.stored_at == pytest.approx(stamp)
    assert manifest.release_layout is not None and manifest.release_layout.configured == second.id


def test_the_comparison_lists_exactly_the_changed_paths(releases: Releases) -> None:
    manifest = current_layers().manifest
    first, second = manifest.release(releases.first), manifest.release(releases.second)
    assert first is not None and second is not None
    changes = compare_releases(first, second)
    old = json.loads(releases.manifest_of(releases.first).read_text())["paths"]
    new = json.loads(releases.manifest_of(releases.second).read_text())["paths"]
    assert {c.path: c.change for c in changes} == {
        **dict.fromkeys(CHANGED, ReleaseChange.CHANGED),
        **dict.fromkeys(ADDED, ReleaseChange.ADDED),
        **dict.fromkeys(REMOVED, ReleaseChange.REMOVED),
    }
    for change in changes:
        assert change.before == old.get(change.path) and change.after == new.get(change.path)
    assert [c.path for c in changes] == sorted(c.path for c in changes)
    assert compare_releases(second, second) == []


def test_release_manifests_and_kept_hashed_files_are_not_orphans(releases: Releases) -> None:
    """Issue 14, item 3: every release's manifest belongs to the manifest layer, and the hashed
    files an older release still names are kept for a rollback, not reclaimable."""
    layers = current_layers()
    assert layers.live is not None
    # The one true orphan: the unhashed copy of the file the second release dropped.
    assert set(layers.live.orphans) == set(REMOVED)
    assert layers.get(f"{releases.first}/staticfiles.json") is None
    assert layers.get(f"{releases.second}/staticfiles.json") is None
    assert layers.manifest.findings_of(ManifestFinding.ORPHANED_HASHED_FILE) == ()
    assert layers.manifest.reclaimable_bytes == 0
    statuses = {layers.live_status(r.path) for r in layers.records if r.path not in REMOVED}
    assert statuses == {LiveStatus.CURRENT}


def test_hashed_files_no_kept_release_names_are_reclaimable(releases: Releases) -> None:
    old = json.loads(releases.manifest_of(releases.first).read_text())["paths"]
    shutil.rmtree(releases.root / releases.first)  # the team drops the first release
    caches.clear()
    manifest = current_layers().manifest
    assert [r.id for r in manifest.releases] == [releases.second]
    reclaimable = manifest.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)
    gone = {old[path] for path in CHANGED | set(REMOVED)}
    # The dropped path's hashed copy is reclaimable too, though no source has it any more.
    assert {f.file for f in reclaimable} == gone
    assert manifest.reclaimable_bytes == sum((releases.root / name).stat().st_size for name in gone)
    assert (releases.root / old["js/app.js"]).exists()  # listed, never deleted


def test_a_release_whose_hashed_files_were_cleared_is_an_error(releases: Releases) -> None:
    old = json.loads(releases.manifest_of(releases.first).read_text())["paths"]
    (releases.root / old["js/app.js"]).unlink()  # a cleanup that forgot the kept release
    caches.clear()
    layers = current_layers()
    first = layers.manifest.release(releases.first)
    assert first is not None
    assert first.status == ReleaseStatus.FILES_MISSING
    assert first.missing == (old["js/app.js"],)
    assert "not found" in first.note
    assert judge_release(first).severity == Severity.ERROR
    second = layers.manifest.release(releases.second)
    assert second is not None and judge_release(second).severity == Severity.OK
    # The configured release serves fine: no row is an error, yet CI's --fail-on error fails.
    assert all(layers.severity(r.path) != Severity.ERROR for r in layers.records)
    failed = failures(layers, layers.records, PathFilter(), frozenset({"error"}))
    assert failed == [f"(release {releases.first}: release-files-missing)"]
    assert failures(layers, layers.records, PathFilter(), frozenset({"warning"})) == failed
    assert failures(layers, layers.records, PathFilter(), frozenset({"info"})) != []


@pytest.mark.parametrize(
    ("content", "said"),
    [(b"{not json", "malformed manifest"), (b"\xff\xfe{}", "cannot read its manifest")],
)
def test_an_unreadable_sibling_manifest_is_a_warning_and_the_rest_works(
    releases: Releases, content: bytes, said: str
) -> None:
    releases.manifest_of(releases.first).write_bytes(content)
    caches.clear()
    manifest = current_layers().manifest
    first = manifest.release(releases.first)
    assert first is not None and first.status == ReleaseStatus.UNREADABLE
    assert said in first.note
    assert judge_release(first).severity == Severity.WARNING
    assert manifest.release(releases.second).status == ReleaseStatus.OK  # type: ignore[union-attr]


# --- where the releases are ------------------------------------------------------------------


class DeployManifestStorage(ManifestStaticFilesStorage):
    """Each deploy's manifest in its own folder outside STATIC_ROOT (``DEPLOYS/<release>/``),
    the hashed files in the one STATIC_ROOT every deploy shares."""

    def __init__(self, *args: Any, release_id: str = "", **kwargs: Any) -> None:
        deploy = FileSystemStorage(location=os.path.join(settings.DEPLOYS, release_id))
        super().__init__(*args, manifest_storage=deploy, **kwargs)


def collect_deploy(release: str, deploys: Path) -> None:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": f"{__name__}.DeployManifestStorage",
            "OPTIONS": {"release_id": release},
        },
    }
    collect_release(storages, DEPLOYS=str(deploys))


def test_manifests_in_deploy_folders_outside_static_root_are_releases_too(
    layout: Layout,
) -> None:
    app, static = layout.app("deploys")
    for path, content in FIRST.items():
        layout.write(static, path, content)
    deploys = layout.folder("deploys")
    (deploys / "no-manifest").mkdir()  # a folder without a manifest is not a release
    (deploys / "NOTES").write_text("not a folder\n")
    with layout.settings(apps=[app], DEBUG=False):
        collect_deploy("first", deploys)
        age(layout.root)
        layout.write(static, "js/app.js", "console.log('second');\n")
        collect_deploy("second", deploys)
        age(layout.root)
        age(deploys / "first", seconds=120)
        backend = f"{__name__}.DeployManifestStorage"
        storages = {"staticfiles": {"BACKEND": backend, "OPTIONS": {"release_id": "second"}}}
        with override_settings(STORAGES=storages, DEPLOYS=str(deploys)):
            layers = current_layers()
    manifest = layers.manifest
    assert manifest.release_layout is not None and not manifest.release_layout.inside
    assert [(r.id, r.configured) for r in manifest.releases] == [
        ("second", True),
        ("first", False),
    ]
    second, first = manifest.releases
    assert first.manifest == str(deploys / "first" / "staticfiles.json")
    assert second.manifest == str(deploys / "second" / "staticfiles.json")
    assert first.stored_at is not None and first.stored_at < (second.stored_at or 0)
    assert [c.path for c in compare_releases(first, second)] == ["js/app.js"]
    # The first deploy's hashed app.js is kept for its rollback; nothing is an orphan.
    assert manifest.findings_of(ManifestFinding.ORPHANED_HASHED_FILE) == ()
    assert layers.live is not None and layers.live.orphans == ()


def test_the_configured_release_before_its_collection(releases: Releases) -> None:
    """New code deployed, collectstatic not run yet for its release: said, and the others
    are still there to roll back to."""
    storages = {
        **releases.storages,
        "staticfiles": {"BACKEND": RELEASE_STORAGE, "OPTIONS": {"release_id": "2026.12.09"}},
    }
    with override_settings(STORAGES=storages):
        manifest = current_layers().manifest
    configured = manifest.release("2026.12.09")
    assert configured is not None and configured.configured
    assert configured.status == ReleaseStatus.UNREADABLE
    assert configured.note == "no manifest yet: collectstatic has not run for it"
    assert configured.stored_at is None and configured.entries == 0
    assert {r.id for r in manifest.releases} == {"2026.12.09", releases.first, releases.second}
    assert judge_release(configured).severity == Severity.WARNING


def test_where_a_storage_keeps_its_releases(tmp_path: Path) -> None:
    def layout_of(storage: Any) -> ReleaseLayout | None:
        return release_layout(storage)

    root = str(tmp_path / "static")
    local = inspecting_class(ManifestStaticFilesStorage)
    assert layout_of(local(location=root)) is None  # its own manifest
    same = FileSystemStorage(location=root)
    assert layout_of(local(location=root, manifest_storage=same)) is None
    nested = FileSystemStorage(location=os.path.join(root, "releases", "r7"))
    found = layout_of(local(location=root, manifest_storage=nested))
    assert found == ReleaseLayout("r7", "staticfiles.json", True, parent="releases/")
    assert found.release_of("releases/r6/staticfiles.json") == "r6"
    assert found.release_of("releases/r6/x/staticfiles.json") is None
    assert found.release_of("other/r6/staticfiles.json") is None

    s3 = inspecting_class(S3ManifestStaticStorage)
    inside = S3Storage(bucket_name="b", location="static/r7")
    assert layout_of(s3(bucket_name="b", location="static", manifest_storage=inside)) == (
        ReleaseLayout("r7", "staticfiles.json", True)
    )
    same_s3 = S3Storage(bucket_name="b", location="static/")
    assert layout_of(s3(bucket_name="b", location="static", manifest_storage=same_s3)) is None
    elsewhere = S3Storage(bucket_name="manifests", location="deploys/r7")
    outside = layout_of(s3(bucket_name="b", location="static", manifest_storage=elsewhere))
    assert outside == ReleaseLayout("r7", "staticfiles.json", False)
    on_disk = layout_of(s3(bucket_name="b", location="static", manifest_storage=nested))
    assert on_disk == ReleaseLayout(
        "r7", "staticfiles.json", False, parent_path=os.path.join(root, "releases")
    )
