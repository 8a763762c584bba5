"""The manifest layer: a real ``collectstatic`` per storage, then one planted fault at a time."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage, staticfiles_storage
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.test import override_settings

from inspector.core import caches
from inspector.core.inventory import current_inventory
from inspector.core.layers import current_layers
from inspector.core.manifest.report import ManifestReport
from inspector.core.status import ManifestFinding, ManifestStatus
from inspector.core.storage.instance import collected_storage
from inspector.core.storage.listing import take_snapshot
from tests.support.layout import Layout, age, collect, collected_app
from tests.support.manifest import FILES, findings_by_path, md5_12

RELEASE = "2026-11-01.1"


class ReleaseManifestStorage(ManifestStaticFilesStorage):
    """The manifest in a per-release subfolder: several releases share one STATIC_ROOT."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        folder = Path(settings.STATIC_ROOT) / "releases" / RELEASE
        kwargs.setdefault("manifest_storage", FileSystemStorage(location=folder))
        super().__init__(*args, **kwargs)


class LenientManifestStorage(ManifestStaticFilesStorage):
    manifest_strict = False


class Sha256ManifestStorage(ManifestStaticFilesStorage):
    """Names after a sha256 of the content: no md5 digest can name a file."""

    def file_hash(self, name: str, content: Any = None) -> str | None:
        if content is None:
            return None
        digest = hashlib.sha256()
        for chunk in content.chunks():
            digest.update(chunk)
        return digest.hexdigest()[:12]


class CaseFoldingManifestStorage(ManifestStaticFilesStorage):
    """Keys the manifest without case: two paths that differ only in case share one entry."""

    def hash_key(self, name: str) -> str:
        return name.lower()


DJANGO = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
RELEASED = f"{__name__}.ReleaseManifestStorage"
LENIENT = f"{__name__}.LenientManifestStorage"
SHA256 = f"{__name__}.Sha256ManifestStorage"
FS_STORAGES = [DJANGO, WHITENOISE, RELEASED]


@dataclass
class Project:
    layout: Layout
    static: Path  # the app's static folder (the sources)
    backend: str

    @property
    def root(self) -> Path:
        return self.layout.root / "collected"

    def manifest_file(self) -> Path:
        if self.backend == RELEASED:
            return self.root / "releases" / RELEASE / "staticfiles.json"
        return self.root / "staticfiles.json"

    def manifest(self) -> dict[str, str]:
        return dict(json.loads(self.manifest_file().read_text())["paths"])

    def edit_manifest(self, change: Any) -> None:
        data = json.loads(self.manifest_file().read_text())
        change(data)
        self.manifest_file().write_text(json.dumps(data))

    def report(self) -> ManifestReport:
        return current_layers().manifest


@pytest.fixture
def project(layout: Layout, request: pytest.FixtureRequest) -> Iterator[Project]:
    backend = getattr(request, "param", DJANGO)
    name, static = layout.app("site")
    for path, content in FILES.items():
        layout.write(static, path, content)
    storages_setting = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": backend},
    }
    with layout.settings(apps=[name], STORAGES=storages_setting, DEBUG=False):
        caches.clear()
        collect(layout)
        age(layout.root)  # trusted stamps, as in any deploy older than two seconds
        yield Project(layout, static, backend)
    caches.clear()


def touch_later(path: Path, content: bytes | str) -> None:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    age(path, seconds=30)


# --- an untouched collection --------------------------------------------------------------------


@pytest.mark.parametrize("project", FS_STORAGES, indirect=True)
def test_an_untouched_collection_reports_zero_findings(project: Project) -> None:
    report = project.report()
    assert report.applicable and report.problems == ()
    assert findings_by_path(report) == {}
    assert report.findings == ()
    manifest = project.manifest()
    assert report.entry_count == len(manifest)
    assert report.version == "1.1" and report.manifest_hash and report.hash_matches is True
    assert report.location == str(project.manifest_file())
    assert report.strict is True
    for path in FILES:
        entry = report.entry(path)
        assert entry.status == ManifestStatus.OK, (path, entry.note)
        assert entry.hashed_name == manifest[path] == entry.expected_hashed_name
        assert (project.root / manifest[path]).is_file()
        assert entry.url is not None and entry.url.startswith("/static/")
    # The references really were rewritten: the CSS's name is not the hash of its source bytes.
    raw = (project.static / "css/site.css").read_bytes()
    assert md5_12(raw) not in manifest["css/site.css"]
    assert md5_12((project.static / "img/bg.png").read_bytes()) in manifest["img/bg.png"]


@pytest.mark.parametrize("project", [SHA256], indirect=True)
def test_a_storage_naming_files_its_own_way_is_expected_as_it_collects(project: Project) -> None:
    """Its CSS and JS are read in this process (no md5 names them) and named by its own
    ``file_hash``: what collectstatic writes, before and after an edit of a referenced file."""
    manifest = project.manifest()
    report = project.report()
    for path in FILES:
        entry = report.entry(path)
        assert entry.status == ManifestStatus.OK, (path, entry.note)
        assert entry.expected_hashed_name == manifest[path]
    touch_later(project.static / "css/base.css", 'h1 { background: url("../img/bg.png"); }\n')
    caches.clear()
    report = project.report()
    stale = {p for p in FILES if report.entry(p).status == ManifestStatus.STALE}
    expected = {p: report.entry(p).expected_hashed_name for p in FILES}
    collect(project.layout)
    after = project.manifest()
    assert expected == {p: after[p] for p in FILES}
    assert (
        stale
        == {p for p in FILES if after[p] != manifest[p]}
        == {
            "css/base.css",
            "css/site.css",
        }
    )


def test_the_shared_staticfiles_storage_is_never_touched(project: Project) -> None:
    before = staticfiles_storage.url("css/site.css")
    shared = storages["staticfiles"]
    loaded = dict(shared.hashed_files)  # type: ignore[attr-defined]
    project.report()
    caches.clear()
    assert shared.hashed_files == loaded  # type: ignore[attr-defined]
    assert staticfiles_storage.url("css/site.css") == before
    assert storages["staticfiles"] is shared


def test_a_no_manifest_storage_is_not_applicable(layout: Layout) -> None:
    name, static = layout.app()
    layout.write(static, "a.css", "a")
    with layout.settings(apps=[name]):
        caches.clear()
        report = current_layers().manifest
    assert not report.applicable
    assert report.entry("a.css").status == ManifestStatus.NOT_APPLICABLE
    assert report.counts() == {}


@pytest.mark.skipif(django.VERSION < (6, 1), reason="5.2's post_process crashes on it")
def test_urls_inside_comments_are_skipped_like_django_61(layout: Layout) -> None:
    name, static = layout.app()
    layout.write(static, "c.css", '/* url("gone.png") */\nb { background: url("x.png") }\n')
    layout.write(static, "x.png", b"png")
    storages_setting = {"staticfiles": {"BACKEND": DJANGO}}
    with layout.settings(apps=[name], STORAGES=storages_setting):
        caches.clear()
        collect(layout)
        age(layout.root)
        report = current_layers().manifest
    assert findings_by_path(report) == {}


# --- one planted fault at a time ----------------------------------------------------------------


@pytest.mark.parametrize("project", FS_STORAGES, indirect=True)
def test_an_entry_deleted_from_the_manifest_is_missing_entry(project: Project) -> None:
    project.edit_manifest(lambda data: data["paths"].pop("js/standalone.js"))
    report = project.report()
    # Its hashed file (and whitenoise's variants of it) now belong to no entry: same path.
    assert set(findings_by_path(report)) == {"js/standalone.js"}
    entry = report.entry("js/standalone.js")
    assert entry.status == ManifestStatus.MISSING_ENTRY
    assert "500" in entry.note and entry.hashed_name is None
    assert entry.expected_hashed_name is not None
    assert report.hash_matches is False  # the stored hash covers the entry that was removed


@pytest.mark.parametrize("project", FS_STORAGES, indirect=True)
def test_a_source_edited_after_collection_is_stale(project: Project) -> None:
    edited = b"function g() {}\n"
    touch_later(project.static / "js/standalone.js", edited)
    report = project.report()
    assert findings_by_path(report) == {"js/standalone.js": {"stale"}}
    entry = report.entry("js/standalone.js")
    assert entry.expected_hashed_name == f"js/standalone.{md5_12(edited)}.js"
    assert entry.hashed_name == project.manifest()["js/standalone.js"]
    assert "source changed" in entry.note


def test_an_edited_image_makes_the_css_that_references_it_stale(project: Project) -> None:
    touch_later(project.static / "img/bg.png", b"\x89PNG other")
    report = project.report()
    assert findings_by_path(report) == {
        "img/bg.png": {"stale"},
        "css/site.css": {"stale"},
        "odd/with space.css": {"stale"},
    }
    assert "img/bg.png" in report.entry("css/site.css").note


@pytest.mark.parametrize("project", FS_STORAGES, indirect=True)
def test_a_deleted_hashed_file_is_hashed_file_missing(project: Project) -> None:
    hashed = project.manifest()["img/logo.svg"]
    (project.root / hashed).unlink()
    report = project.report()
    assert findings_by_path(report) == {"img/logo.svg": {"hashed-file-missing"}}
    assert hashed in report.entry("img/logo.svg").note


def test_a_hashed_file_whose_bytes_changed_is_stale(project: Project) -> None:
    hashed = project.manifest()["css/print.css"]
    touch_later(project.root / hashed, "tampered")
    report = project.report()
    assert findings_by_path(report) == {"css/print.css": {"stale"}}
    assert "no longer hash to its name" in report.entry("css/print.css").note


@pytest.mark.parametrize("project", FS_STORAGES, indirect=True)
def test_a_hashed_image_whose_bytes_changed_is_stale(project: Project) -> None:
    hashed = project.manifest()["img/bg.png"]
    touch_later(project.root / hashed, FILES["img/logo.svg"])  # another source's bytes
    report = project.report()
    assert report.entry("img/bg.png").status is ManifestStatus.STALE
    assert "no longer hash to its name" in report.entry("img/bg.png").note


@pytest.mark.parametrize("project", FS_STORAGES, indirect=True)
def test_a_hashed_css_holding_its_source_as_written_is_stale(project: Project) -> None:
    """Its name comes from its text once the references in it are rewritten: the source's
    own bytes (copied over it by hand) do not give it."""
    hashed = project.manifest()["css/site.css"]
    touch_later(project.root / hashed, FILES["css/site.css"])
    report = project.report()
    assert report.entry("css/site.css").status is ManifestStatus.STALE
    assert "no longer hash to its name" in report.entry("css/site.css").note


def test_a_hashed_copy_two_paths_share_is_checked_against_its_own_name(layout: Layout) -> None:
    """Each path's source is compared with the name the shared entry holds, not with the
    other path's: the copy holds one source's bytes under the other's name."""
    folding = f"{__name__}.CaseFoldingManifestStorage"
    files = {"img/Logo.png": b"upper", "img/logo.png": b"lower"}
    with collected_app(layout, "fold", files, folding) as static:
        project = Project(layout, static, folding)
        hashed = f"img/logo.{md5_12(b'lower')}.png"
        project.edit_manifest(lambda data: data["paths"].update({"img/logo.png": hashed}))
        touch_later(project.root / hashed, b"upper")
        age(layout.root)
        report = project.report()
        assert report.entry("img/Logo.png").hashed_name == hashed
        for path in ("img/Logo.png", "img/logo.png"):
            assert report.entry(path).status is ManifestStatus.STALE, path
            assert "no longer hash to its name" in report.entry(path).note


@pytest.mark.parametrize("project", FS_STORAGES, indirect=True)
def test_an_old_hashed_version_left_behind_is_reclaimable(project: Project) -> None:
    old = project.manifest()["js/standalone.js"]
    touch_later(project.static / "js/standalone.js", "function newer() {}\n")
    call_command("collectstatic", interactive=False, verbosity=0)  # over the old collection
    age(project.root)
    report = project.report()
    assert (project.root / old).is_file()
    assert set(findings_by_path(report)) == {"js/standalone.js"}
    olds = report.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)
    assert old in {f.file for f in olds}
    assert {f.path for f in olds} == {"js/standalone.js"}
    assert report.reclaimable_bytes == sum((project.root / f.file).stat().st_size for f in olds)
    assert report.entry("js/standalone.js").status == ManifestStatus.OK


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "malformed manifest"), ('{"version": "9.9", "paths": {}}', "version '9.9'")],
)
def test_a_corrupt_or_unsupported_manifest_is_a_clear_problem(
    project: Project, content: str, message: str
) -> None:
    project.manifest_file().write_text(content)
    report = project.report()
    assert report.problems and message in report.problems[0]
    assert "Couldn't load manifest" in report.problems[0]
    assert report.entry("css/site.css").status == ManifestStatus.UNKNOWN
    assert len(current_inventory()) >= len(FILES)  # the rest of the inspector keeps working


@pytest.mark.parametrize("project", [WHITENOISE], indirect=True)
def test_a_gz_that_does_not_match_is_reported_on_its_path(project: Project) -> None:
    hashed = project.manifest()["css/big.css"]
    variant = project.root / (hashed + ".gz")
    assert variant.is_file(), "whitenoise compresses a 6 KB CSS file"
    touch_later(variant, gzip.compress(b"other bytes"))
    report = project.report()
    assert findings_by_path(report) == {"css/big.css": {"compressed-mismatch"}}
    (finding,) = report.findings
    assert finding.file == hashed + ".gz"


def test_a_gz_left_beside_a_file_by_another_tool_is_checked_too(project: Project) -> None:
    """Django's own storage compresses nothing, but a ``.gz`` some other step wrote beside a
    collected file is served by a front server that prefers it: it must match its original."""
    hashed = project.manifest()["css/site.css"]
    original = (project.root / hashed).read_bytes()
    touch_later(project.root / (hashed + ".gz"), gzip.compress(original))
    touch_later(project.root / "img/logo.svg.gz", gzip.compress(b"<svg>old</svg>"))
    report = project.report()
    assert findings_by_path(report) == {"img/logo.svg": {"compressed-mismatch"}}


@pytest.mark.parametrize("project", [WHITENOISE], indirect=True)
def test_a_missing_gz_is_reported_on_its_path(project: Project) -> None:
    hashed = project.manifest()["js/standalone.js"]
    (project.root / (hashed + ".gz")).unlink()
    report = project.report()
    assert findings_by_path(report) == {"js/standalone.js": {"compressed-missing"}}


# --- manifest_strict ----------------------------------------------------------------------------


@pytest.mark.parametrize("project", [DJANGO, LENIENT], indirect=True)
def test_manifest_strict_decides_500_or_silent_fallback(project: Project) -> None:
    project.edit_manifest(lambda data: data["paths"].pop("js/app.js"))
    report = project.report()
    entry = report.entry("js/app.js")
    assert entry.status == ManifestStatus.MISSING_ENTRY
    # What Django does with this manifest, on a storage of our own (never the shared one).
    storage = storages.create_storage({"BACKEND": project.backend})
    if project.backend == DJANGO:
        assert report.strict is True
        assert "raises ValueError" in entry.note and "500" in entry.note
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("js/app.js")
    else:
        assert report.strict is False
        assert "silently falls back" in entry.note
        assert storage.url("js/app.js").startswith("/static/js/app.")
    with override_settings(DEBUG=True):  # development never shows it
        assert storage.url("js/app.js") == "/static/js/app.js"


# --- names ----------------------------------------------------------------------------------


@pytest.mark.skipif(
    sys.version_info[:2] == (3, 12), reason="3.12 keeps interned strings for ever: not interned"
)
def test_each_path_and_hashed_name_is_one_string_for_every_layer(project: Project) -> None:
    """A path is named by its source, the manifest and the collected listing, a hashed name by
    the manifest and the listing: one string each, not three and two (the CLI's peak memory on
    a large tree)."""
    layers = current_layers()
    assert layers.manifest.parsed is not None
    storage, _ = collected_storage()
    assert storage is not None
    listed = {name: name for name in take_snapshot(storage).files}
    for path, hashed in layers.manifest.parsed.paths.items():
        record = layers.inventory.get(path)
        assert record is not None and record.path is path
        assert listed[path] is path and listed[hashed] is hashed


def test_a_name_django_unquotes_is_a_missing_entry_with_the_reason(layout: Layout) -> None:
    name, static = layout.app()
    layout.write(static, "odd/100%25.txt", "percent")
    with layout.settings(apps=[name], STORAGES={"staticfiles": {"BACKEND": DJANGO}}):
        caches.clear()
        collect(layout)
        age(layout.root)
        report = current_layers().manifest
        storage = storages.create_storage({"BACKEND": DJANGO})
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("odd/100%25.txt")
    entry = report.entry("odd/100%25.txt")
    assert entry.status == ManifestStatus.MISSING_ENTRY
    assert "'odd/100%.txt'" in entry.note


# --- the process cache ---------------------------------------------------------------------


def test_the_report_is_reused_until_something_changes(project: Project) -> None:
    first = project.report()
    assert project.report() is first
    touch_later(project.static / "css/print.css", "p { color: red }\n")
    second = project.report()
    assert second is not first
    assert second.entry("css/print.css").status == ManifestStatus.STALE
    # site.css @imports print.css: its rewritten text, hence its name, changes too.
    assert second.entry("css/site.css").status == ManifestStatus.STALE
    caches.clear()
    assert project.report() is not second


def test_a_missing_static_root_means_no_manifest_yet(project: Project) -> None:
    shutil.rmtree(project.root)
    report = project.report()
    assert "no manifest" in report.problems[0]
    assert report.entry("css/site.css").status == ManifestStatus.MISSING_ENTRY
