"""Generators: finders whose storage is STATIC_ROOT, with the real ones from PyPI
(django-compressor's ``CompressorFinder``, django-sass-processor's ``CssFinder``).

Their outputs are sources (never orphans), and what their ``find()`` returns of another source's
path is that path's collected copy, never a rival (no false ``duplicate`` or ``conflict``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.functional import empty

from inspector.core.layers import current_layers
from inspector.core.status import LiveStatus, SourceStatus
from tests.support.layout import Layout, age, collect

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
APPS = "django.contrib.staticfiles.finders.AppDirectoriesFinder"
COMPRESSOR = "compressor.finders.CompressorFinder"
SASS = "sass_processor.finders.CssFinder"


def inspect_json() -> dict[str, dict]:
    out = StringIO()
    call_command("inspect_assets", "--format", "json", stdout=out, stderr=StringIO())
    return {row["path"]: row for row in json.loads(out.getvalue())}


MANIFEST = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


@pytest.fixture
def compressed(layout: Layout, request: pytest.FixtureRequest) -> Iterator[tuple[Path, Path]]:
    """An app compressed offline by the real ``compress`` command after a real collectstatic
    (into the staticfiles storage ``request.param``, a plain one by default)."""
    app, static = layout.app("site")
    layout.write(static, "css/a.css", "body { margin: 0 }\n")
    layout.write(static, "css/b.css", "p { color: red }\n")
    templates = layout.folder("templates")
    layout.write(
        templates,
        "page.html",
        "{% load compress static %}{% compress css %}"
        '<link rel="stylesheet" href="{% static \'css/a.css\' %}">'
        '<link rel="stylesheet" href="{% static \'css/b.css\' %}">'
        "{% endcompress %}",
    )
    root = layout.root / "collected"
    _forget_compressor_storages()
    engine = {**settings.TEMPLATES[0], "DIRS": [str(templates)]}
    with layout.settings(
        apps=[app, "compressor"],
        finders=[FS, APPS, COMPRESSOR],
        STORAGES=getattr(request, "param", STORAGES),
        DEBUG=False,
        TEMPLATES=[engine],
        COMPRESS_ENABLED=True,
        COMPRESS_OFFLINE=True,
        COMPRESS_ROOT=str(root),
        COMPRESS_URL="/static/",
    ):
        collect(layout)
        call_command("compress", force=True, verbosity=0)
        age(layout.root)
        yield static, root
    _forget_compressor_storages()


def _forget_compressor_storages() -> None:
    """django-compressor keeps its storages (and its offline manifest) per process, set up from
    the settings of the first use: each test starts them anew on its own COMPRESS_ROOT."""
    import compressor.cache
    import compressor.storage

    for lazy in (
        compressor.storage.compressor_file_storage,
        compressor.storage.default_storage,
        compressor.storage.default_offline_manifest_storage,
    ):
        lazy._wrapped = empty
    compressor.cache._offline_manifest = None


def test_compressor_outputs_are_sources_and_collected_copies_are_not_rivals(
    compressed: tuple[Path, Path],
) -> None:
    static, root = compressed
    outputs = sorted(str(p.relative_to(root)) for p in (root / "CACHE").rglob("*") if p.is_file())
    assert any(name.endswith(".css") for name in outputs) and "CACHE/manifest.json" in outputs
    layers = current_layers()
    assert layers.live is not None and layers.live.orphans == ()
    for name in outputs:
        record = layers.inventory.get(name)
        assert record is not None, name
        assert record.status == SourceStatus.UNIQUE and record.flags == ()
        assert [c.source for c in record.candidates] == [COMPRESSOR]
        assert layers.live.status_of(name) == LiveStatus.CURRENT
    for name in ("css/a.css", "css/b.css"):
        record = layers.inventory.get(name)
        assert record is not None and len(record.candidates) == 1, "the copy is no rival"
        assert record.status == SourceStatus.UNIQUE
    summary = next(s for s in layers.inventory.sources if s.source.label == COMPRESSOR)
    assert summary.generator and summary.files == len(outputs)
    rows = inspect_json()
    assert {r["live_status"] for r in rows.values()} == {"current"}


@pytest.mark.parametrize("compressed", [MANIFEST], indirect=True, ids=["manifest"])
def test_compressor_outputs_under_a_manifest_storage_are_fine(
    compressed: tuple[Path, Path],
) -> None:
    rows = inspect_json()
    outputs = [path for path in rows if path.startswith("CACHE/")]
    assert outputs
    for path in outputs:
        assert rows[path]["manifest"]["status"] == "n/a", rows[path]["manifest"]
        assert rows[path]["severity"] == "ok" and rows[path]["live_status"] == "current"
    assert {r["severity"] for r in rows.values()} == {"ok"}


def test_an_edited_source_is_modified_not_a_conflict_with_its_collected_copy(
    compressed: tuple[Path, Path], layout: Layout
) -> None:
    static, _ = compressed
    layout.write(static, "css/a.css", "body { margin: 1 }\n")  # same size, other bytes
    age(static)
    layers = current_layers()
    record = layers.inventory.get("css/a.css")
    assert record is not None and record.status == SourceStatus.UNIQUE
    assert layers.live is not None and layers.live.status_of("css/a.css") == LiveStatus.MODIFIED


def test_compressor_is_a_generator_on_the_overview(
    compressed: tuple[Path, Path], viewer_client: object
) -> None:
    from django.test import Client
    from django.urls import reverse

    assert isinstance(viewer_client, Client)
    page = viewer_client.get(reverse("inspector:overview")).content.decode()
    assert "a generator: it writes its outputs into STATIC_ROOT" in page


@pytest.fixture
def sass_storage() -> Iterator[None]:
    """django-sass-processor keeps its storage on the finder class, set up once per process
    from the settings of that moment: each test starts it anew."""
    from sass_processor.finders import CssFinder

    CssFinder.storage._wrapped = empty
    yield
    CssFinder.storage._wrapped = empty


def test_sass_processor_outputs_are_sources_and_not_orphans(
    layout: Layout, sass_storage: None
) -> None:
    app, static = layout.app("theme")
    layout.write(static, "css/theme.scss", "$c: red; body { color: $c }\n")
    layout.write(static, "css/plain.css", "p {}\n")
    root = layout.root / "collected"
    with layout.settings(
        apps=[app, "sass_processor"],
        finders=[FS, APPS, SASS],
        STORAGES=STORAGES,
        SASS_PROCESSOR_ROOT=str(root),
    ):
        collect(layout)
        # What ``compilescss`` writes beside the collected source (libsass itself is not needed
        # to see where the finder reads it).
        layout.write(root, "css/theme.css", "body { color: red }\n")
        layout.write(root, "css/theme.css.map", "{}")
        layout.write(root, "css/stale.css", "gone {}\n")  # a real orphan stays one
        age(layout.root)
        layers = current_layers()
    assert layers.live is not None
    assert layers.live.orphans == ("css/stale.css",)
    for name in ("css/theme.css", "css/theme.css.map"):
        record = layers.inventory.get(name)
        assert record is not None and [c.source for c in record.candidates] == [SASS]
        assert layers.live.status_of(name) == LiveStatus.CURRENT
    for name in ("css/theme.scss", "css/plain.css"):
        record = layers.inventory.get(name)
        assert record is not None and record.status == SourceStatus.UNIQUE, name
        assert len(record.candidates) == 1, name


def test_any_finder_reading_static_root_is_a_generator_whose_copies_are_no_rivals(
    layout: Layout,
) -> None:
    app, static = layout.app("plain")
    layout.write(static, "css/a.css", "a {}\n")
    root = layout.root / "collected"
    unlisted = "tests.support.finders.UnlistedFinder"
    with layout.settings(
        apps=[app], finders=[APPS, unlisted], STORAGES=STORAGES, INSPECTOR_TEST_FOLDER=str(root)
    ):
        collect(layout)
        layout.write(root, "old.css", "gone {}\n")  # not known to be its output: an orphan
        age(layout.root)
        layers = current_layers()
    record = layers.inventory.get("css/a.css")
    assert record is not None and record.status == SourceStatus.UNIQUE
    assert [c.source for c in record.candidates] == [f"app:{app}"]
    assert layers.live is not None and layers.live.orphans == ("old.css",)
    summary = next(s for s in layers.inventory.sources if s.source.label == unlisted)
    assert summary.generator
