"""What a process whose command line runs the inspector's command starts while Django loads:
the collected folder walked in a hashing process, its files hashed meanwhile, and the check's
listing taking that walk; nothing for any other process, folder or project."""

from __future__ import annotations

import gc
import hashlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.test import override_settings

from inspector.core import fingerprints, pool
from inspector.core import loading as core_loading
from inspector.core.loading import loading_over, while_loading
from inspector.core.storage import loading
from inspector.core.storage.listing import ListingAhead, take_snapshot
from tests.support.digests import known_soon
from tests.support.layout import age
from tests.support.pool import kill_the_hashing_processes, slowly

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
NAMES = ("site.css", "site.0123456789ab.css", "x y ‹é›.js", "deep/er/<script>.png")


def collected(tmp_path: Path, manifest_bytes: int = 2_000) -> Path:
    root = tmp_path / "collected"
    for name in NAMES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {name} */" * 40)
    paths = {"site.css": "site.0123456789ab.css"}
    text = json.dumps({"paths": paths, "version": "1.1", "padding": "x" * manifest_bytes})
    (root / "staticfiles.json").write_text(text)
    age(root)
    return root


@pytest.fixture
def a_large_manifest_counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A manifest of a thousand bytes tells of a large project; no walk is left behind."""
    monkeypatch.setattr(loading, "MIN_MANIFEST_BYTES", 1_000)
    yield
    assert loading._walking is None, "every test takes or drops the walk it started"


def stored(root: Path, backend: str = MANIFEST, **extra: object) -> override_settings:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": backend},
    }
    return override_settings(STORAGES=storages, STATIC_ROOT=str(root), **extra)


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


@pytest.mark.usefixtures("pool_to_itself", "a_large_manifest_counts")
def test_the_folder_walked_while_loading_is_the_listing_and_its_files_are_hashed(
    tmp_path: Path,
) -> None:
    root = collected(tmp_path)
    fingerprints.clear_memory_cache()
    with stored(root):
        loading.walk_while_loading()
        storage = FileSystemStorage(location=str(root))
        ahead = ListingAhead(storage)
        assert ahead.loaded is not None, "the check's listing takes the walk"
        ahead.start(10**9)
        assert ahead.started is None, "and starts no second one"
        snapshot = take_snapshot(storage, ahead=ahead)
        assert snapshot.files == take_snapshot(storage).files
        assert set(snapshot.files) == {*NAMES, "staticfiles.json"}
        # Before the settings change back: that empties the memory of digests.
        stamps = [snapshot.files[name].stamp for name in sorted(snapshot.files)]
        assert known_soon(stamps) == [md5_of(root / name) for name in sorted(snapshot.files)]


@pytest.mark.usefixtures("pool_to_itself", "a_large_manifest_counts")
def test_a_walk_that_met_a_symlink_out_of_the_folder_is_walked_again(tmp_path: Path) -> None:
    root = collected(tmp_path)
    outside = tmp_path / "sources"
    outside.mkdir()
    (outside / "linked.css").write_text("a{}")
    (root / "linked.css").symlink_to(outside / "linked.css")  # collectstatic --link
    storage = FileSystemStorage(location=str(root))
    with stored(root):
        loading.walk_while_loading()
        ahead = ListingAhead(storage)
        assert ahead.loaded is not None
        assert ahead.take() is None, "the source folders were not known while loading"
        assert take_snapshot(storage).refused == {"linked.css": str(outside / "linked.css")}


@pytest.mark.usefixtures("pool_to_itself", "a_large_manifest_counts")
@pytest.mark.parametrize("collection", ["rewrote", "removed"])
def test_a_walk_older_than_the_folder_s_manifest_is_walked_again(
    tmp_path: Path, collection: str
) -> None:
    root = collected(tmp_path)
    storage = FileSystemStorage(location=str(root))
    with stored(root):
        loading.walk_while_loading()
        walking = loading._walking
        assert walking is not None
        assert walking._back.wait(30), "the walk is back before the collection ends"
        # A collection ends while Django loads: a new file, then its manifest.
        (root / "new.css").write_text("a{}")
        manifest = root / "staticfiles.json"
        if collection == "rewrote":
            manifest.write_text(manifest.read_text().replace('"1.1"', '"1.0"'))
        else:
            manifest.unlink()
        ahead = ListingAhead(storage)
        assert ahead.loaded is walking
        snapshot = take_snapshot(storage, ahead=ahead)
    assert "new.css" in snapshot.files, "the folder as the collection left it"
    assert ("staticfiles.json" in snapshot.files) is (collection == "rewrote")


@pytest.mark.usefixtures("pool_to_itself", "a_large_manifest_counts")
def test_a_walk_of_another_folder_is_dropped_and_its_files_not_hashed(tmp_path: Path) -> None:
    root = collected(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    fingerprints.clear_memory_cache()
    with stored(root):
        loading.walk_while_loading()
        walking = loading._walking
        assert walking is not None
        assert ListingAhead(FileSystemStorage(location=str(other))).loaded is None
        assert loading._walking is None, "not kept for a later check"
        walked = walking.take()  # back, or never started
        time.sleep(1.0)  # five files sent to be hashed would be back by now
        files = walked.files.values() if walked is not None else ()
        assert all(fingerprints.peek(stamp) is None for stamp in files)


@pytest.mark.usefixtures("pool_to_itself", "a_large_manifest_counts")
def test_a_walk_refused_once_back_lets_the_check_walk_ahead(tmp_path: Path) -> None:
    root = collected(tmp_path)
    (root / "linked.css").symlink_to(tmp_path / "elsewhere.css")
    with stored(root):
        loading.walk_while_loading()
        walking = loading._walking
        assert walking is not None
        deadline = time.monotonic() + 30
        while not walking.refused() and time.monotonic() < deadline:
            time.sleep(0.02)
        ahead = ListingAhead(FileSystemStorage(location=str(root)))
        ahead.start(10**9)
        assert ahead.started is not None, "walked in a hashing process, as without it"
        ahead.drop()


@pytest.mark.usefixtures("pool_to_itself")
def test_a_walk_whose_pool_broke_is_walked_here_and_the_pool_still_stops(tmp_path: Path) -> None:
    started = pool.start(slowly, ([1], 30.0), 2)
    assert started is not None
    walking = loading.WalkWhileLoading(str(tmp_path), started.future, hash_files=True)  # type: ignore[arg-type]
    kill_the_hashing_processes(started.pool)
    taken: list[object] = []
    # Python 3.12 and later fail the walk under the pool's own lock: its callback must not
    # call the pool, or these would never return.
    for work in (lambda: taken.append(walking.take()), pool.stop):
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        thread.join(30)
        assert not thread.is_alive()
    assert taken == [None]


@pytest.mark.usefixtures("pool_to_itself", "a_large_manifest_counts")
@pytest.mark.parametrize(
    ("backend", "manifest_bytes"),
    [
        (MANIFEST, 0),
        ("django.contrib.staticfiles.storage.StaticFilesStorage", 2_000),
        ("myproject.storage.Custom", 2_000),
        (MANIFEST, None),
    ],
    ids=["small-manifest", "no-manifest-backend", "a-project-s-own-backend", "not-collected"],
)
def test_nothing_is_walked_while_loading_but_a_large_manifest_folder(
    tmp_path: Path, backend: str, manifest_bytes: int | None
) -> None:
    root = collected(tmp_path, manifest_bytes or 0)
    if manifest_bytes is None:
        (root / "staticfiles.json").unlink()
    with stored(root, backend):
        loading.walk_while_loading()
    assert loading.taken_by(str(root)) is None


@pytest.mark.usefixtures("pool_to_itself", "a_large_manifest_counts")
def test_with_a_shared_cache_the_folder_is_walked_but_its_files_not_hashed(
    tmp_path: Path,
) -> None:
    root = collected(tmp_path)
    fingerprints.clear_memory_cache()
    shared = {
        **settings.CACHES,
        "files": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        },
    }
    with stored(root, CACHES=shared, ASSET_INSPECTOR={"CACHE": "files"}):
        loading.walk_while_loading()
        walked = ListingAhead(FileSystemStorage(location=str(root))).take()
        assert walked is not None and set(walked.files) == {*NAMES, "staticfiles.json"}
        time.sleep(1.0)  # five files sent to be hashed would be back by now
        assert all(fingerprints.peek(stamp) is None for stamp in walked.files.values())


@pytest.fixture
def as_found() -> Iterator[None]:
    was, argv = gc.isenabled(), sys.argv
    yield
    sys.argv = argv
    core_loading.take_over()
    pool.fork_while_alone(False)
    if was:
        gc.enable()


@pytest.mark.usefixtures("pool_to_itself", "a_large_manifest_counts", "as_found")
@pytest.mark.parametrize(
    ("argv", "walked"),
    [
        (["inspect_assets", "--format", "json"], True),
        (["inspect_assets", "--help"], False),
        (["collectstatic", "--noinput"], None),
    ],
    ids=["the-command", "its-help", "another-command"],
)
def test_only_the_command_s_own_command_line_starts_anything(
    tmp_path: Path, argv: list[str], walked: bool | None
) -> None:
    root = collected(tmp_path)
    sys.argv = ["manage.py", *argv]
    gc.enable()
    with stored(root):
        while_loading("inspect_assets")
    walking = loading.taken_by(str(root))
    if walked is None:
        assert walking is None and gc.isenabled() and not pool._may_fork
        return
    assert (walking is not None and walking.take() is not None) is walked
    assert not gc.isenabled() and pool._may_fork
    loading_over()  # no command's run took the process over: all given back
    assert gc.isenabled() and not pool._may_fork
