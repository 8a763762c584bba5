"""Digests kept in the shared cache: what a check hashed in the hashing processes, the next
process does not read again; what it could not trust, it reads."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import pytest
from django.core.cache import caches

from inspector.core import fingerprints, shared_digests
from inspector.core.fingerprints import FileStamp
from inspector.core.screening import Needles, Screened
from tests.support.layout import Layout, age, files_cache

# Files of this many bytes or more are kept under keys of their own, smaller ones in buckets.
SHARED = {"CACHE": "files", "SHARED_CACHE_MIN_BYTES": 64}


def md5_of(stamp: FileStamp) -> str:
    return hashlib.md5(Path(stamp.location).read_bytes()).hexdigest()


def written(layout: Layout, count: int) -> list[FileStamp]:
    """Files in a few folders, small and large, with odd names, aged so their digests count."""
    folder = layout.folder("static")
    paths = [
        layout.write(folder, f"d{n % 5}/f {n} ‹é›.css", b"x" * (n * 7 % 120 + 1))
        for n in range(count)
    ]
    age(folder)
    return [FileStamp.of(str(path)) for path in paths]


def disguise(stamp: FileStamp, data: bytes) -> None:
    """New bytes of the same size under the same stamp: only a kept digest still says the old."""
    assert len(data) == stamp.size
    Path(stamp.location).write_bytes(data)
    os.utime(stamp.location, ns=(stamp.mtime_ns, stamp.mtime_ns))
    assert FileStamp.of(stamp.location) == stamp


def check(stamps: list[FileStamp]) -> tuple[dict[FileStamp, object], int]:
    """What a check does: send the files ahead, then ask for them. Return the digests, and how
    many files were read for them."""
    before = fingerprints.files_read()
    fingerprints.hash_ahead(stamps)
    answer = fingerprints.md5_many(stamps)
    return {stamp: answer[stamp] for stamp in stamps}, fingerprints.files_read() - before


@pytest.mark.usefixtures("through_the_pool")
def test_what_a_check_hashed_ahead_no_later_process_reads_again(layout: Layout) -> None:
    stamps = written(layout, 40)
    small = next(s for s in stamps if s.size < 64)
    large = next(s for s in stamps if s.size >= 64)
    with layout.settings(ASSET_INSPECTOR=SHARED, CACHES=files_cache(layout)):
        first, read = check(stamps)
        assert first == {stamp: md5_of(stamp) for stamp in stamps}
        assert read == len(stamps)

        fingerprints.clear_memory_cache()  # a new process: only the shared cache is left
        disguise(small, b"s" * small.size)
        disguise(large, b"L" * large.size)
        second, read = check(stamps)
    assert read == 0, "every digest came from the shared cache"
    assert second == first, "the disguised files say what the cache kept, not their new bytes"


@pytest.mark.usefixtures("through_the_pool")
def test_a_file_changed_just_now_is_read_again_by_the_next_process(layout: Layout) -> None:
    stamps = written(layout, 12)
    fresh = layout.write(layout.folder("static"), "d0/just now.css", b"a { color: red }")
    racy = FileStamp.of(str(fresh))
    with layout.settings(ASSET_INSPECTOR=SHARED, CACHES=files_cache(layout)):
        first, _ = check([*stamps, racy])
        assert first[racy] == md5_of(racy)

        fingerprints.clear_memory_cache()
        disguise(racy, b"b { color: red }")
        second, _ = check([*stamps, racy])
    assert second[racy] == hashlib.md5(b"b { color: red }").hexdigest(), "read, not kept"
    assert all(second[s] == first[s] for s in stamps)


@pytest.mark.usefixtures("through_the_pool")
@pytest.mark.parametrize(
    ("failing", "said"),
    [
        ("get_many", "could not read digests from the shared cache"),
        ("set_many", "could not keep digests in the shared cache"),
    ],
)
def test_a_shared_cache_that_is_down_costs_the_check_its_reads_only(
    layout: Layout,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failing: str,
    said: str,
) -> None:
    stamps = written(layout, 20)
    with layout.settings(ASSET_INSPECTOR=SHARED, CACHES=files_cache(layout)):
        cache = caches["files"]

        def down(*args: object, **kwargs: object) -> None:
            raise ConnectionError("the cache server went away")

        # A fault no real file cache produces on demand: every read, or every write, fails.
        monkeypatch.setattr(type(cache), failing, down)
        answers: list[tuple[dict[FileStamp, object], int]] = []
        asker = threading.Thread(target=lambda: answers.append(check(stamps)), daemon=True)
        with caplog.at_level(logging.WARNING, logger="inspector.core.shared_digests"):
            asker.start()
            asker.join(30)
    assert answers == [({stamp: md5_of(stamp) for stamp in stamps}, len(stamps))], "not hung"
    assert said in caplog.text


@pytest.mark.usefixtures("through_the_pool")
def test_entries_that_hold_no_digests_are_not_used_and_are_kept_again(
    layout: Layout, caplog: pytest.LogCaptureFixture
) -> None:
    stamps = written(layout, 40)
    with layout.settings(ASSET_INSPECTOR=SHARED, CACHES=files_cache(layout)):
        first, _ = check(stamps)
        cache = caches["files"]
        # What another program, or a damaged file, could leave under the inspector's keys.
        keys = shared_digests.keys_for(stamps, SHARED["SHARED_CACHE_MIN_BYTES"])
        assert len(keys.files) >= 2 and len(keys.buckets) >= 3
        odd = iter([42, "not an md5", None])
        cache.set_many({key: next(odd, b"bytes") for key in keys.files})
        damaged = iter([lambda b: b[:-1], lambda b: [*b, b[0]], lambda b: [*b[:-1], 7]])
        for key in list(keys.buckets)[:3]:
            cache.set(key, next(damaged)(cache.get(key)))
        fingerprints.clear_memory_cache()  # a new process
        with caplog.at_level(logging.WARNING, logger="inspector.core.shared_digests"):
            second, read = check(stamps)
        fingerprints.clear_memory_cache()
        third, read_after = check(stamps)
    assert second == first == third, "read again, not answered by what the cache held"
    damaged_files = len(keys.files) + sum(len(b) for b in list(keys.buckets.values())[:3])
    assert read == damaged_files
    assert f"{len(keys.files) + 3} entries of the shared cache held no digests" in caplog.text
    assert read_after == 0, "kept again"


@pytest.mark.usefixtures("through_the_pool")
def test_digests_are_kept_by_the_thread_that_sent_them(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django gives each thread its own cache instance (a memcached client is not thread-safe):
    the pool's thread, which receives the digests, must not write them."""
    stamps = written(layout, 20)
    with layout.settings(ASSET_INSPECTOR=SHARED, CACHES=files_cache(layout)):
        cache = caches["files"]
        writers: list[threading.Thread] = []
        real = type(cache).set_many

        def recorded(self: object, *args: object, **kwargs: object) -> object:
            writers.append(threading.current_thread())
            return real(self, *args, **kwargs)

        monkeypatch.setattr(type(cache), "set_many", recorded)
        check(stamps)
    assert writers and set(writers) == {threading.current_thread()}


URL: Needles = ((b"url(", True),)


def styles(layout: Layout, clean: int, referring: int) -> list[FileStamp]:
    """CSS files, most holding no reference, a few with one; aged."""
    folder = layout.folder("css")
    paths = [layout.write(folder, f"d{n % 3}/plain {n}.css", f"b{{z:{n}}}") for n in range(clean)]
    paths += [
        layout.write(folder, f"d{n % 3}/refers {n}.css", f'b{{background:URL("x{n}.png")}}')
        for n in range(referring)
    ]
    age(folder)
    return [FileStamp.of(str(path)) for path in paths]


def screened(stamps: list[FileStamp], needles: Needles) -> tuple[list[Screened | OSError], int]:
    before = fingerprints.files_read()
    answers = list(fingerprints.screen(stamps, [needles] * len(stamps)))
    return answers, fingerprints.files_read() - before


@pytest.mark.usefixtures("through_the_pool")
def test_css_that_holds_no_reference_is_not_read_by_the_next_process(layout: Layout) -> None:
    stamps = styles(layout, clean=30, referring=4)
    with layout.settings(ASSET_INSPECTOR=SHARED, CACHES=files_cache(layout)):
        first, read = screened(stamps, URL)
        assert read == len(stamps)
        assert [a.md5 for a in first if isinstance(a, Screened)] == [md5_of(s) for s in stamps]
        assert sum(1 for a in first if isinstance(a, Screened) and a.text is not None) == 4

        fingerprints.clear_memory_cache()
        disguise(stamps[0], b"b{Z:0}")
        second, read = screened(stamps, URL)
        # Another storage (other needles) tells otherwise: nothing it did not screen is reused.
        fingerprints.clear_memory_cache()
        _, read_with_other_needles = screened(stamps, ((b"@import", False),))
    assert read == 4, "only the files that may refer are read for their text"
    assert second == first, "the disguised file says what the cache kept: it holds no reference"
    assert read_with_other_needles == len(stamps)


@pytest.mark.usefixtures("through_the_pool")
def test_what_a_check_sent_ahead_and_never_asked_for_is_kept_at_its_end(layout: Layout) -> None:
    stamps = written(layout, 24)
    asked, never_asked = stamps[:12], stamps[12:]
    with layout.settings(ASSET_INSPECTOR=SHARED, CACHES=files_cache(layout)):
        fingerprints.hash_ahead(asked)
        fingerprints.hash_ahead(never_asked)
        assert fingerprints.md5_many(asked)[asked[0]] == md5_of(asked[0])
        fingerprints.keep_sent_ahead()  # the end of the check

        fingerprints.clear_memory_cache()
        answers, read = check(never_asked)
    assert read == 0
    assert answers == {stamp: md5_of(stamp) for stamp in never_asked}


@pytest.mark.usefixtures("through_the_pool")
def test_css_that_is_not_utf8_is_read_again_and_said_again(layout: Layout) -> None:
    stamps = styles(layout, clean=6, referring=0)
    broken = layout.write(
        layout.folder("css"), "d0/latin1.css", "b{content:'caf\xe9'}".encode("latin-1")
    )
    age(layout.folder("css"))
    stamps = [FileStamp.of(str(path.location)) for path in stamps] + [FileStamp.of(str(broken))]
    with layout.settings(ASSET_INSPECTOR=SHARED, CACHES=files_cache(layout)):
        screened(stamps, URL)
        fingerprints.clear_memory_cache()
        second, read = screened(stamps, URL)
    last = second[-1]
    assert isinstance(last, Screened) and last.undecodable is not None, "still said"
    assert read == 1, "the one file that is not UTF-8 is read again, the clean ones are not"
