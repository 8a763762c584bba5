"""What the layers keep of answers derived from them (per object, bounded, oldest out first),
and how a background re-check keeps them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from inspector.core import caches, fingerprints, pool, recheck
from inspector.core import layers as layers_module
from inspector.core.freshness import NOW
from inspector.core.layers import DERIVED_KEPT, Layers, current_layers, layers_or_building
from inspector.core.records import Inventory
from inspector.core.status import LiveStatus, ManifestStatus
from tests.support.layout import Layout, age, collected_app

FS = "django.contrib.staticfiles.finders.FileSystemFinder"


@pytest.mark.django_db
def test_derived_answers_are_kept_per_layers_and_bounded(layout: Layout) -> None:
    folder = layout.folder("project")
    layout.write(folder, "css/site.css", "body {}")
    computed: list[int] = []

    def compute(value: int) -> int:
        computed.append(value)
        return value

    with layout.settings(dirs=[folder], finders=[FS]):
        layers = current_layers()
        assert layers.derive("a", lambda: compute(1)) == 1
        assert layers.derive("a", lambda: compute(2)) == 1, "kept: not computed again"
        for key in range(DERIVED_KEPT):
            layers.derive(key, lambda: compute(0))
        assert layers.derive("a", lambda: compute(3)) == 3, "the oldest went first"
        layout.write(folder, "css/site.css", "body { color: red }")
        changed = current_layers()
        assert changed is not layers
        assert changed.derive("a", lambda: compute(4)) == 4, "new layers keep nothing old"
    assert computed.count(0) == DERIVED_KEPT


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per full check of the files in this process (each starts with the inventory)."""
    if pool._process_pool() is None:
        pytest.skip("one core: no hashing process to walk in")
    counted: list[int] = []
    inventory_now = layers_module.current_inventory

    def counting(listed: Callable[[int], object] | None = None) -> Inventory:
        counted.append(1)
        return inventory_now(listed)

    monkeypatch.setattr(layers_module, "current_inventory", counting)
    return counted


def recheck_in_background() -> Layers:
    """Ask as a page does once the layers are due; return what the background re-check kept."""
    last = layers_module._last
    time.sleep(last.took * (1 + layers_module.PAGE_SHARE) + 0.01)  # the share rule's pause
    before = time.monotonic()
    layers_or_building(NOW)
    deadline = time.monotonic() + 30
    while any(t.name == "inspector-layers" and t.is_alive() for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the re-check never ended"
        time.sleep(0.01)
    assert layers_module._last.checked >= before, "a re-check ran"
    kept = layers_module._last.layers
    assert kept is not None
    return kept


@pytest.mark.django_db
def test_a_background_recheck_walks_elsewhere_and_rebuilds_only_on_a_change(
    layout: Layout, monkeypatch: pytest.MonkeyPatch, checks: list[int]
) -> None:
    folder = layout.folder("project")
    site = layout.write(folder, "css/site.css", "body {}")
    age(folder)
    monkeypatch.setattr(recheck, "PROCESS_MIN_FILES", 1)  # walked elsewhere even when small
    with layout.settings(dirs=[folder], finders=[FS]):
        layers = current_layers()
        assert recheck_in_background() is layers, "unchanged: the same layers"
        assert len(checks) == 2, "no digest to compare with yet: a full check"
        for _ in range(2):
            assert recheck_in_background() is layers
        assert len(checks) == 2, "the digest matched: nothing stat'ed in this process"

        site.write_text("body { color: red }")
        age(folder)
        changed = recheck_in_background()
        assert changed is not layers
        assert changed.get("css/site.css").winner.size == len("body { color: red }")
        assert len(checks) == 3

        site.write_text("body { color: blue }")  # just now: the digest proves nothing
        assert recheck_in_background().get("css/site.css").winner.size == len(
            "body { color: blue }"
        )
        assert len(checks) == 4


@pytest.mark.django_db
def test_a_first_check_in_the_background_leaves_a_digest_for_the_next(
    layout: Layout, monkeypatch: pytest.MonkeyPatch, checks: list[int]
) -> None:
    folder = layout.folder("project")
    layout.write(folder, "css/site.css", "body {}")
    age(folder)
    with layout.settings(dirs=[folder], finders=[FS]):
        first = recheck_in_background()  # the first check of the process, as a page starts it
        assert len(checks) == 1
        with monkeypatch.context() as large:
            large.setattr(recheck, "PROCESS_MIN_FILES", 1)
            assert recheck_in_background() is first
            assert len(checks) == 1, "a large project compares the first check's digest"
        assert recheck_in_background() is first
        assert len(checks) == 2, "a small one is re-checked here, without processes"


@pytest.mark.django_db
@pytest.mark.usefixtures("through_the_pool")
def test_a_cold_check_reads_each_file_once(layout: Layout) -> None:
    """The sources a digest alone names are sent to be read before the manifest is read; the
    expected names then take their digests, and read none of them again."""
    files = {f"img/{n} ‹é› '<script>'.png": bytes([n]) * (n + 10) for n in range(9)}
    files |= {"img/ref.png": b"\x89PNG", "css/site.css": "body { background: url(../img/ref.png) }"}
    files |= {"js/app.js": "console.log(1);", "css/plain.css": "p { margin: 0 }"}
    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    with collected_app(layout, "once", files, manifest):
        caches.clear()  # cold: nothing known yet
        before = fingerprints.files_read()
        layers = current_layers()
        read = fingerprints.files_read() - before
    sources = sum(len(record.candidates) for record in layers.inventory)
    collected = sum(1 for p in (layout.root / "collected").rglob("*") if p.is_file())
    # Every source, and every collected file but the manifest, at most once each.
    assert read <= sources + collected - 1, f"{read} reads of {sources} + {collected} files"
    assert {layers.manifest.entry(p).status for p in files} == {ManifestStatus.OK}
    assert {layers.live.entry(p).status for p in files if layers.live} == {LiveStatus.CURRENT}


@pytest.mark.django_db
@pytest.mark.usefixtures("through_the_pool")
def test_a_project_not_collected_yet_has_no_source_read_for_its_names(layout: Layout) -> None:
    """Without a manifest no expected name is worked out: no source is read for one."""
    name, static = layout.app("uncollected")
    for n in range(6):
        layout.write(static, f"img/{n} ‹é›.png", bytes([n]) * (n + 10))
    layout.write(static, "css/site.css", "body { margin: 0 }")
    age(static)
    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": manifest},
    }
    with layout.settings(apps=[name], STORAGES=storages, DEBUG=False):
        caches.clear()
        before = fingerprints.files_read()
        layers = current_layers()
        assert fingerprints.files_read() - before == 0
    assert layers.manifest.problems, "says there is no manifest"
    assert {layers.manifest.entry(p).status for p in ("img/0 ‹é›.png", "css/site.css")} == {
        ManifestStatus.MISSING_ENTRY
    }
