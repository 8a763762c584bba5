"""References Django's ``hashed_files`` lookup misses, and ``WHITENOISE_KEEP_ONLY_HASHED_FILES``.

A ``url(…?v=2#frag)`` keeps its query in the lookup key and a CSS ``sourceMappingURL`` keeps the
whitespace before ``*/``: ``post_process`` then hashes the copy ``collectstatic`` has just written.
The oracle is always a real ``collectstatic`` run after the edit: the names it writes are the ones
the inspector must have expected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.management import call_command

from inspector.core import caches
from inspector.core.layers import Layers, current_layers
from inspector.core.status import LiveStatus, ManifestStatus
from tests.support.layout import Layout, age, collect

DJANGO = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"

FILES: dict[str, bytes | str] = {
    "css/site.css": (
        '@import "base.css?v=1";\n'
        "body { background: url(../img/logo.png?v=2#frag); }\n"
        '@font-face { src: url("../fonts/f.eot?#iefix"); }\n'
        ".plain { background: url(../img/plain.png); }\n"
        "/*# sourceMappingURL=site.css.map */\n"
    ),
    "css/site.css.map": '{"version": 3, "sources": ["site.scss"]}\n',
    # Hashed by post_process as its raw copy through the query: its own references do not count.
    "css/base.css": "h1 { background: url(../img/bg.png); }\n",
    "img/logo.png": b"\x89PNG logo",
    "img/plain.png": b"\x89PNG plain",
    "img/bg.png": b"\x89PNG bg",
    "fonts/f.eot": b"EOT",
    # The JS pattern keeps trailing blanks in the key too.
    "js/app.js": "console.log(1);\n//# sourceMappingURL=app.js.map  \n",
    "js/app.js.map": '{"version": 3}\n',
}

# (backend, WHITENOISE_KEEP_ONLY_HASHED_FILES)
STORAGES = [(DJANGO, False), (WHITENOISE, False), (WHITENOISE, True)]


@dataclass
class Project:
    layout: Layout
    static: Path
    keeps_only_hashed: bool

    @property
    def root(self) -> Path:
        return self.layout.root / "collected"

    def manifest(self) -> dict[str, str]:
        return dict(json.loads((self.root / "staticfiles.json").read_text())["paths"])

    def layers(self) -> Layers:
        caches.clear()
        return current_layers()

    def edit(self, path: str, content: bytes | str) -> None:
        written = Layout.write(self.static, path, content)
        age(written, seconds=30)  # newer than the collected copy, and a trusted stamp


@pytest.fixture(params=STORAGES, ids=lambda p: f"{p[0].rsplit('.', 1)[1]}-keep={p[1]}")
def project(layout: Layout, request: pytest.FixtureRequest) -> Iterator[Project]:
    backend, keep_only_hashed = request.param
    name, static = layout.app("refs")
    for path, content in FILES.items():
        layout.write(static, path, content)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": backend},
    }
    with layout.settings(
        apps=[name],
        STORAGES=storages,
        DEBUG=False,
        WHITENOISE_KEEP_ONLY_HASHED_FILES=keep_only_hashed,
    ):
        collect(layout)
        age(layout.root, static)
        yield Project(layout, static, keep_only_hashed)


def findings(layers: Layers) -> dict[str, tuple[str, str]]:
    """Return every row whose manifest or live status is not a clean one."""
    found = {}
    for record in layers.records:
        manifest = layers.manifest_status(record.path)
        live = layers.live_status(record.path)
        if manifest != ManifestStatus.OK or live != LiveStatus.CURRENT:
            found[record.path] = (manifest, str(live))
    return found


def test_a_clean_collection_gives_no_finding(project: Project) -> None:
    layers = project.layers()
    assert findings(layers) == {}
    manifest = project.manifest()
    for path in FILES:
        assert layers.manifest.entry(path).expected_hashed_name == manifest[path], path


@pytest.mark.parametrize(
    "edited",
    ["css/site.css.map", "img/logo.png", "fonts/f.eot", "js/app.js.map", "css/base.css"],
)
def test_editing_only_a_looked_up_file_expects_what_collectstatic_then_writes(
    project: Project, edited: str
) -> None:
    before = project.manifest()
    project.edit(edited, b"edited " + str(edited).encode())
    layers = project.layers()
    expected = {path: layers.manifest.entry(path).expected_hashed_name for path in FILES}
    stale = {path for path in FILES if layers.manifest_status(path) == ManifestStatus.STALE}

    collect(project.layout)  # the oracle: what collectstatic writes for the edited sources
    after = project.manifest()
    assert expected == {path: after[path] for path in FILES}
    assert stale == {path for path in FILES if after[path] != before[path]}
    referrer = "js/app.js" if edited.startswith("js/") else "css/site.css"
    assert referrer in stale  # the missed `stale` of the issue
    assert edited in layers.manifest.entry(referrer).note  # named as the reason


def test_a_css_imported_with_a_query_counts_with_its_raw_bytes(project: Project) -> None:
    """``@import "base.css?v=1"`` hashes base.css as copied, before its own rewrite: an image
    that only base.css references changes base.css's name, not the importer's."""
    before = project.manifest()
    project.edit("img/bg.png", b"\x89PNG another bg")
    layers = project.layers()
    assert layers.manifest_status("css/base.css") == ManifestStatus.STALE
    assert layers.manifest_status("css/site.css") == ManifestStatus.OK
    collect(project.layout)
    after = project.manifest()
    assert after["css/base.css"] != before["css/base.css"]
    assert after["css/site.css"] == before["css/site.css"]


@pytest.mark.parametrize(
    "edited",
    [
        "img/logo.png",
        "img/plain.png",
        "css/site.css",
        "css/site.css.map",
        "css/base.css",
        "js/app.js",
    ],
)
def test_the_live_layer_finds_exactly_the_edited_source(project: Project, edited: str) -> None:
    """Whether or not the storage keeps the unhashed copies, one edited source is the one
    ``modified`` row: with only hashed copies, the copy compared is the one the manifest names,
    and a CSS file is compared with its hashed copy by rewriting it with the manifest's names
    (a file it references by a query having changed does not make it ``modified``)."""
    project.edit(edited, b"/* edited */\n" + str(edited).encode())
    layers = project.layers()
    differs = {
        path: layers.live_status(path)
        for path in FILES
        if layers.live_status(path) != LiveStatus.CURRENT
    }
    assert differs == {edited: LiveStatus.MODIFIED}
    collected = project.manifest()[edited] if project.keeps_only_hashed else edited
    assert layers.live.entry(edited).stored_name == collected


def test_a_deleted_hashed_copy_is_missing_when_it_is_the_only_copy(project: Project) -> None:
    hashed = project.manifest()["img/plain.png"]
    (project.root / hashed).unlink()
    layers = project.layers()
    assert layers.manifest_status("img/plain.png") == ManifestStatus.HASHED_FILE_MISSING
    expected = LiveStatus.MISSING if project.keeps_only_hashed else LiveStatus.CURRENT
    assert layers.live_status("img/plain.png") == expected


def test_a_warm_check_sees_an_edit_of_a_looked_up_file(project: Project) -> None:
    """The rewrite of a file whose source did not change is reused only while the copies its
    missed lookups hashed are unchanged too (a dashboard re-checks with warm caches)."""
    assert project.layers().manifest_status("css/site.css") == ManifestStatus.OK
    project.edit("img/logo.png", b"\x89PNG another logo")
    warm = current_layers()  # no caches.clear(): the memoised rewrites are asked first
    assert warm.manifest_status("css/site.css") == ManifestStatus.STALE


def test_a_reference_above_the_storage_root_is_a_failing_collection(project: Project) -> None:
    """collectstatic refuses to open ``url(../../x.png)`` from ``css/``; the inspector says so
    on that file (rather than failing as a whole) and keeps checking the others."""
    project.edit("css/escape.css", "p { background: url(../../x.png?v=1); }\n")
    layers = project.layers()
    entry = layers.manifest.entry("css/escape.css")
    assert entry.status == ManifestStatus.MISSING_ENTRY and entry.breaks_collection
    assert findings(layers).keys() == {"css/escape.css"}
    with pytest.raises(SuspiciousFileOperation):
        collect(project.layout)


def test_a_collected_copy_newer_than_its_source_is_what_a_missed_lookup_hashes(
    project: Project,
) -> None:
    """collectstatic leaves a stored copy at least as new as its source ("not modified"), so
    the ``?v=2`` lookup hashes that copy, while the file's own entry hashes the source."""
    if project.keeps_only_hashed:
        pytest.skip("no unhashed copy is kept to be left in place")
    layout = project.layout
    age(layout.write(project.root, "img/logo.png", b"\x89PNG edited in place"), seconds=5)
    layers = project.layers()
    expected = {path: layers.manifest.entry(path).expected_hashed_name for path in FILES}
    assert layers.live_status("img/logo.png") == LiveStatus.MODIFIED
    assert layers.manifest_status("css/site.css") == ManifestStatus.STALE

    call_command("collectstatic", interactive=False, verbosity=0)  # STATIC_ROOT kept as is
    after = project.manifest()
    assert expected == {path: after[path] for path in FILES}
