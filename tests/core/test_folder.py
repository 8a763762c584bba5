"""The collected folder walked in a hashing process: the same files, stamps and refusals as a
walk here, taken once, and walked here after all when the pool broke."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, InMemoryStorage

from inspector.core import pool, reading
from inspector.core.storage import listing
from inspector.core.storage.folder import unpacked, walk, walk_packed
from inspector.core.storage.listing import ListingAhead, take_snapshot
from tests.support.layout import age
from tests.support.pool import kill_the_hashing_processes

ODD_NAMES = ("x y ‹é›.css", "quote'\"<script>.js", "deep/er/ünï.txt", "λ/site.css")


def collected(tmp_path: Path) -> Path:
    root = tmp_path / "collected"
    for name in ODD_NAMES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {name} */" * len(name))
    (root / os.fsdecode(b"not utf-8 \xff.css")).write_bytes(b"a{}")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("key")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "again").symlink_to(root / "deep", target_is_directory=True)
    os.mkfifo(root / "pipe.css")
    age(root)
    os.utime(root / "λ/site.css", (-86_400, -86_400))  # written before 1970
    return root


@pytest.mark.usefixtures("through_the_pool")
def test_a_walk_in_a_hashing_process_lists_what_a_walk_here_lists(tmp_path: Path) -> None:
    root = str(collected(tmp_path))
    started = pool.start(walk_packed, (root, (), ()))
    assert started is not None
    packed = started.outcome()
    assert packed is not None
    there, here = unpacked(packed), walk(root)
    assert there.files == here.files, "the same names, sizes, mtimes and inodes"
    assert set(here.files) == {*ODD_NAMES, os.fsdecode(b"not utf-8 \xff.css")}, (
        "no FIFO, no file outside, a linked folder inside walked once"
    )
    assert here.files["λ/site.css"].mtime_ns == -86_400 * 10**9
    assert there.refused == here.refused and list(there.refused) == ["leak.txt"]
    assert (there.errors, there.racy) == (here.errors, here.racy) == ([], False)
    for name, stamp in there.files.items():
        assert reading.read_recorded(stamp) == (Path(root) / name).read_bytes(), name


@pytest.mark.usefixtures("through_the_pool")
def test_a_listing_started_ahead_is_taken_once_and_walked_here_when_the_pool_broke(
    tmp_path: Path,
) -> None:
    storage = FileSystemStorage(location=str(collected(tmp_path)))
    walked_here = take_snapshot(storage)
    small = ListingAhead(storage)
    small.start(listing.LIST_AHEAD_MIN_FILES - 1)
    assert small.started is None, "a small project's folder is walked here"
    elsewhere = ListingAhead(InMemoryStorage())
    elsewhere.start(listing.LIST_AHEAD_MIN_FILES)
    assert elsewhere.started is None, "only a local folder is walked in a process"

    ahead = ListingAhead(storage)
    ahead.start(listing.LIST_AHEAD_MIN_FILES)
    assert ahead.started is not None
    snapshot = take_snapshot(storage, ahead=ahead)
    assert snapshot.files == walked_here.files and snapshot.refused == walked_here.refused
    assert snapshot.local and not snapshot.racy
    assert ahead.started is None, "taken once: its answer is not held on to"

    broken = ListingAhead(storage)
    broken.start(listing.LIST_AHEAD_MIN_FILES)
    assert broken.started is not None
    kill_the_hashing_processes(broken.started.pool)
    assert take_snapshot(storage, ahead=broken).files == walked_here.files
