"""The release-specific manifest pattern on disk: two real collections, found, compared, judged.

Both forms teams write: a ``release_id`` option, and a strategy function (the git hash of a
checkout). ``tests/releases.py`` collects a first release, edits sources, and collects the second
over it, as consecutive deploys do.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from inspector.core import caches
from inspector.core.layers import current_layers
from inspector.core.manifest.releases import compare_releases
from inspector.core.selection import PathFilter, failures
from inspector.core.severity import judge_release
from inspector.core.status import (
    LiveStatus,
    ManifestFinding,
    ReleaseChange,
    ReleaseStatus,
    Severity,
)
from tests.support.layout import Layout
from tests.support.releases import ADDED, CHANGED, FIRST, REMOVED, Releases, two_releases


@pytest.fixture(params=["option", "git"])
def releases(request: pytest.FixtureRequest, layout: Layout) -> Iterator[Releases]:
    with two_releases(layout, request.param) as collected:
        yield collected


def test_both_releases_are_found_and_the_configured_one_is_marked(releases: Releases) -> None:
    manifest = current_layers().manifest
    assert [r.id for r in manifest.releases] == [releases.second, releases.first]
    second, first = manifest.releases
    assert second.configured and not first.configured
    # Every path collected, the inspector's own stylesheet among them.
    assert first.entries == len(FIRST) + 1
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


def test_an_unreadable_sibling_manifest_is_a_warning_and_the_rest_works(
    releases: Releases,
) -> None:
    releases.manifest_of(releases.first).write_text("{not json")
    caches.clear()
    manifest = current_layers().manifest
    first = manifest.release(releases.first)
    assert first is not None and first.status == ReleaseStatus.UNREADABLE
    assert "malformed manifest" in first.note
    assert judge_release(first).severity == Severity.WARNING
    assert manifest.release(releases.second).status == ReleaseStatus.OK  # type: ignore[union-attr]
