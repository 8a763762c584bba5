"""``manage.py demo_setup``: the planted older release in the collected storage, and idempotence.

The demo collects with ``ManifestStaticFilesStorage`` into ``var/static``; here it collects into a
temporary ``STATIC_ROOT`` with the same storage. After ``collectstatic`` the command writes the
previous release's copies (``demo/releases/previous/<path>``) over some unhashed collected files
and adds one file no source has, so the live layer shows ``modified`` and ``orphaned`` on first
open, and leaves the manifest and the hashed copies as ``collectstatic`` wrote them.
"""

from __future__ import annotations

import hashlib
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from demo.shop.management.commands.demo_setup import (
    NOT_COLLECTED,
    OLDER_RELEASE,
    OLDER_RELEASE_MTIME,
    PREVIOUS_RELEASE,
    plant_older_release,
)

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
MODIFIED = sorted(name for name, status in OLDER_RELEASE.items() if status == "modified")
ORPHANED = sorted(name for name, status in OLDER_RELEASE.items() if status == "orphaned")


@pytest.fixture
def static_root(settings: Any, tmp_path: Path) -> Path:
    """The demo's storage (a manifest), collecting into a fresh temporary STATIC_ROOT."""
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STORAGES = MANIFEST_STORAGES
    return settings.STATIC_ROOT


def snapshot(root: Path) -> dict[str, bytes]:
    """Every collected file's bytes, by path relative to ``root``."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def demo_setup() -> str:
    out = StringIO()
    call_command("demo_setup", verbosity=0, stdout=out)
    return out.getvalue()


def winner(name: str) -> str | None:
    """What development serves for ``name``: ``finders.find``'s answer, or None.

    A finder returning None for a miss (the demo's ``BundleFinder`` does) makes ``find`` answer
    ``[None]`` instead of None, so the answer is normalised here.
    """
    found = finders.find(name)
    if isinstance(found, list):
        found = next((path for path in found if path), None)
    return found


def source_bytes(name: str) -> bytes:
    """The bytes of the source winner of ``name``."""
    found = winner(name)
    assert found is not None, f"no source for {name}"
    return Path(found).read_bytes()


def test_the_previous_release_folder_holds_exactly_the_planted_files() -> None:
    on_disk = {
        path.relative_to(PREVIOUS_RELEASE).as_posix()
        for path in PREVIOUS_RELEASE.rglob("*")
        if path.is_file()
    }
    assert on_disk == set(OLDER_RELEASE)
    assert MODIFIED and ORPHANED
    # No finder looks in demo/releases: the previous release is never a source.
    for name in ORPHANED:
        assert winner(name) is None


@pytest.mark.django_db
def test_demo_setup_plants_an_older_release_idempotently(static_root: Path) -> None:
    summary = demo_setup()

    for name in OLDER_RELEASE:
        planted = static_root / name
        assert planted.read_bytes() == (PREVIOUS_RELEASE / name).read_bytes(), name
        # An old date, so a later collectstatic replaces the copies that still have a source.
        assert planted.stat().st_mtime == OLDER_RELEASE_MTIME, name
    for name in MODIFIED:
        assert (static_root / name).read_bytes() != source_bytes(name), name

    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in MODIFIED:
        # The manifest names today's source, and its hashed copy holds today's bytes.
        source = source_bytes(name)
        digest = hashlib.md5(source, usedforsecurity=False).hexdigest()[:12]
        assert manifest[name] == f"{name.rpartition('.')[0]}.{digest}.{name.rpartition('.')[2]}"
        assert (static_root / manifest[name]).read_bytes() == source
    for name in ORPHANED:
        assert name not in manifest
        assert name not in manifest.values()
    for name in NOT_COLLECTED:  # the "missing" plant is still there
        assert name not in manifest
        assert not (static_root / name).exists()

    assert "older release" in summary
    for name, status in OLDER_RELEASE.items():
        assert f"{name} ({status})" in summary

    first = snapshot(static_root)
    demo_setup()
    assert snapshot(static_root) == first
    for name in OLDER_RELEASE:
        assert (static_root / name).stat().st_mtime == OLDER_RELEASE_MTIME, name

    # A later collectstatic replaces the old copies (older than their sources) and, without
    # --clear, leaves the orphan alone: the planted state behaves like a real older release.
    call_command(
        "collectstatic", interactive=False, verbosity=0, ignore_patterns=list(NOT_COLLECTED)
    )
    for name in MODIFIED:
        assert (static_root / name).read_bytes() == source_bytes(name), name
    for name in ORPHANED:
        assert (static_root / name).read_bytes() == first[name], name


@pytest.mark.django_db
def test_the_plant_touches_only_its_own_files(static_root: Path) -> None:
    """Manifest and hashed copies stay as collectstatic wrote them; names are kept, not suffixed."""
    call_command(
        "collectstatic", interactive=False, verbosity=0, ignore_patterns=list(NOT_COLLECTED)
    )
    collected = snapshot(static_root)

    assert plant_older_release() == list(OLDER_RELEASE)

    planted = snapshot(static_root)
    changed = {name for name in planted if planted[name] != collected.get(name)}
    assert changed == set(OLDER_RELEASE)
    assert set(planted) == set(collected) | set(ORPHANED)


def test_an_unknown_path_is_found_nowhere_not_by_a_broken_finder(client: Any) -> None:
    """The demo's custom finder answers a miss like Django's own finders: the development
    server then gives a 404, not a 500, for a static URL nobody has."""
    assert finders.find("shop/img/banner.png") is None
    assert finders.find("shop/img/banner.png", find_all=True) == []
    from django.contrib.staticfiles.views import serve
    from django.http import Http404
    from django.test import RequestFactory, override_settings

    with override_settings(DEBUG=True), pytest.raises(Http404):
        serve(RequestFactory().get("/static/shop/img/banner.png"), "shop/img/banner.png")


@pytest.mark.django_db
def test_demo_setup_plants_the_missing_file_again_after_a_full_collection(
    static_root: Path,
) -> None:
    demo_setup()
    # What a collection from the dashboard does: everything collected, new-arrivals.css too.
    call_command("collectstatic", interactive=False, verbosity=0)
    for name in NOT_COLLECTED:
        assert (static_root / name).exists()
    demo_setup()
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in NOT_COLLECTED:
        stem = name.rpartition(".")[0]
        assert name not in manifest
        assert not list(static_root.glob(f"{stem}*")), name


@pytest.mark.django_db(transaction=True)
def test_the_demo_shows_its_toolbar_to_staff_only(client: Client) -> None:
    """INTERNAL_IPS alone would show other users' requests to any local visitor (issue 15)."""
    from debug_toolbar.middleware import show_toolbar_func_or_path
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    # The toolbar keeps the callback it imported for the whole process.
    show_toolbar_func_or_path.cache_clear()
    try:
        with override_settings(DEBUG=True, ROOT_URLCONF="demo.tests.urls"):
            anonymous = client.get("/checkout/")
            user = get_user_model().objects.create_user("demo-staff", password="x", is_staff=True)
            client.force_login(user)
            shown = client.get("/checkout/")
    finally:
        show_toolbar_func_or_path.cache_clear()
    assert anonymous.status_code == 200 and b'id="djDebug"' not in anonymous.content
    assert b'id="djDebug"' in shown.content


# --- the demo's release-specific manifest storage (demo/storages.py) --------------------------


@pytest.fixture
def release_root(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's own storage: one manifest per release folder, the id from DEMO_RELEASE."""
    monkeypatch.setenv("DEMO_RELEASE", "2026.12.7")
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STORAGES = {
        **MANIFEST_STORAGES,
        "staticfiles": {"BACKEND": "demo.storages.ReleaseManifestStorage"},
    }
    return settings.STATIC_ROOT


@pytest.mark.django_db
def test_demo_setup_plants_two_releases_an_invalidation_list_and_reclaimable_bytes(
    release_root: Path,
) -> None:
    from demo.shop.management.commands.demo_setup import DROPPED, PREVIOUS_RELEASE_ID
    from inspector.core import caches
    from inspector.core.invalidation import pending_invalidation
    from inspector.core.layers import current_layers
    from inspector.core.manifest.releases import compare_releases
    from inspector.core.status import ManifestFinding, ReleaseStatus

    summary = demo_setup()
    assert "releases:         2026.12.7 (configured" in summary
    current = json.loads((release_root / "2026.12.7" / "staticfiles.json").read_text())["paths"]
    previous = json.loads((release_root / PREVIOUS_RELEASE_ID / "staticfiles.json").read_text())[
        "paths"
    ]
    assert not (release_root / "staticfiles.json").exists()
    caches.clear()
    layers = current_layers()
    manifest = layers.manifest
    assert [(r.id, r.configured) for r in manifest.releases] == [
        ("2026.12.7", True),
        (PREVIOUS_RELEASE_ID, False),
    ]
    assert {r.status for r in manifest.releases} == {ReleaseStatus.OK}
    new, old = manifest.releases
    changes = {c.path: str(c.change) for c in compare_releases(old, new)}
    assert changes == {**dict.fromkeys(MODIFIED, "changed"), **dict.fromkeys(ORPHANED, "removed")}
    for name in OLDER_RELEASE:  # the older release's own copies are stored: a rollback works
        assert (release_root / previous[name]).read_bytes() == (
            PREVIOUS_RELEASE / name
        ).read_bytes()
    # What a CDN must drop once the planted differences are collected.
    assert pending_invalidation(layers).names == tuple(
        sorted(["2026.12.7/staticfiles.json", *MODIFIED, *NOT_COLLECTED])
    )
    reclaimable = manifest.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)
    assert {f.path for f in reclaimable} == set(DROPPED)
    assert all(
        f.file not in current.values() and f.file not in previous.values() for f in reclaimable
    )
    assert layers.live is not None and set(layers.live.orphans) == set(ORPHANED)

    first = snapshot(release_root)
    demo_setup()
    assert snapshot(release_root) == first


# --- what demo_setup says, and the superuser it leaves alone (issue 19) ------------------------


@pytest.mark.django_db
def test_demo_setup_creates_the_superuser_once_and_keeps_every_session(
    static_root: Path, client: Client
) -> None:
    from django.contrib.auth import get_user_model

    first = demo_setup()
    assert "Log in:    user admin / password admin" in first
    assert client.login(username="admin", password="admin")
    assert client.get("/assets/").status_code == 200

    # Its owner gives it another password; a later run keeps it and names no password.
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("my own")
    admin.save()
    client.force_login(admin)
    again = demo_setup()

    assert "/ password admin" not in again
    assert "user admin (kept as it was" in again
    admin.refresh_from_db()
    assert admin.check_password("my own")
    # The browser logged in before the run is still logged in after it.
    assert client.get("/assets/").status_code == 200


@pytest.mark.django_db
def test_demo_setup_names_the_address_the_demo_is_served_at(
    static_root: Path, settings: Any
) -> None:
    settings.ASSET_INSPECTOR = {**settings.ASSET_INSPECTOR, "BASE_URL": "http://127.0.0.1:8222"}

    alone = demo_setup()
    out = StringIO()
    call_command("demo_setup", "--launched", verbosity=0, stdout=out)
    launched = out.getvalue()

    # Run by hand: how to start the server where the links point, with the settings in use.
    assert (
        "Start:     python manage.py runserver 127.0.0.1:8222 --settings=demo.tests.settings"
        in alone
    )
    # Run by `make demo`, which starts the server itself: no command to start another one.
    assert "Start:" not in launched and "runserver" not in launched
    for summary in (alone, launched):
        assert "Open:      http://127.0.0.1:8222/assets/" in summary
        assert "Toolbar:   http://127.0.0.1:8222/checkout/" in summary
        assert ":8000" not in summary
