"""Reading listed files: only the regular file the listing recorded is ever opened."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from inspector.core import fingerprints, pool, reading
from inspector.core.fingerprints import ChangedSinceListed, FileStamp, NotRegularFile
from tests.support.digests import known_soon


def test_a_file_swapped_for_a_symlink_after_listing_is_not_read(tmp_path: Path) -> None:
    listed = tmp_path / "a.css"
    listed.write_text("a { color: red }")
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    stamp = FileStamp.of(str(listed))
    listed.unlink()
    listed.symlink_to(secret)
    with pytest.raises(ChangedSinceListed):
        fingerprints.read_recorded(stamp)
    result = fingerprints.md5_many([stamp])[stamp]
    assert isinstance(result, ChangedSinceListed)


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.css"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile, match="FIFO"):
        FileStamp.of(str(fifo))
    # A listed file replaced by a FIFO: the read returns at once with an error, not a hang.
    real = tmp_path / "real.css"
    real.write_text("x")
    stamp = FileStamp.of(str(real))
    real.unlink()
    os.mkfifo(real)
    outcome: list[object] = []
    reader = threading.Thread(
        target=lambda: outcome.append(fingerprints.md5_many([stamp])[stamp]), daemon=True
    )
    reader.start()
    reader.join(10)
    assert outcome and isinstance(outcome[0], NotRegularFile)


def stamped_an_hour_ago(path: Path, data: bytes) -> FileStamp:
    path.write_bytes(data)
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(an_hour_ago, an_hour_ago))
    return FileStamp.of(str(path))


def rewritten_in_place(path: Path, data: bytes, mtime_ns: int) -> None:
    with open(path, "r+b") as stream:  # the same inode, as an editor saving in place
        stream.write(data)
        stream.truncate()
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_a_file_written_after_its_listing_is_read_only_by_a_page_that_shows_it_now(
    tmp_path: Path,
) -> None:
    listed = tmp_path / "site.css"
    stamp = stamped_an_hour_ago(listed, b"a { color: red }")
    rewritten_in_place(listed, b"a { color: tan }", stamp.mtime_ns + 10**9)
    for read in (fingerprints.read_recorded, fingerprints.md5):
        with pytest.raises(ChangedSinceListed, match="changed since it was listed"):
            read(stamp)
    assert fingerprints.read_recorded(stamp, any_version=True) == b"a { color: tan }"
    rewritten_in_place(listed, b"a { color: teal }", stamp.mtime_ns)  # other size, same mtime
    with pytest.raises(ChangedSinceListed):
        fingerprints.read_recorded(stamp)


@pytest.mark.parametrize("size", [100, reading.CHUNK_BYTES + 100], ids=["read whole", "streamed"])
def test_a_file_that_grows_while_it_is_hashed_is_not_hashed_under_its_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    listed = tmp_path / "site.css"
    stamp = stamped_an_hour_ago(listed, b"x" * size)
    opened = reading._open_recorded

    def open_then_grow(stamp: FileStamp, **kwargs: bool) -> tuple[int, int]:
        found = opened(stamp, **kwargs)
        with open(listed, "ab") as stream:
            stream.write(b"/* more */")
        return found

    # A race no file system produces on demand: a writer appends between the check and the read.
    monkeypatch.setattr(reading, "_open_recorded", open_then_grow)
    with pytest.raises(ChangedSinceListed, match="changed since it was listed"):
        reading.hash_file(stamp, 10**9)


@pytest.mark.parametrize("where", ["here", "in the hashing processes"])
def test_an_edit_made_during_a_check_is_never_answered_for_the_listed_version(
    tmp_path: Path, where: str, request: pytest.FixtureRequest
) -> None:
    if where != "here":
        request.getfixturevalue("through_the_pool")
    listed = tmp_path / "site.css"
    stamp = stamped_an_hour_ago(listed, b"a { color: red }")
    # Edited after the listing stat'ed it, before it was read.
    rewritten_in_place(listed, b"a { color: tan }", stamp.mtime_ns + 10**9)
    found = fingerprints.md5_many([stamp])[stamp]
    assert isinstance(found, ChangedSinceListed), "not the digest of the edit, under the old stamp"
    # Put back with its old mtime (cp -p, a restored backup): the stamp is the listed one again,
    # and its digest is that of the bytes it names.
    rewritten_in_place(listed, b"a { color: red }", stamp.mtime_ns)
    assert FileStamp.of(str(listed)) == stamp
    assert fingerprints.md5_many([stamp])[stamp] == hashlib.md5(b"a { color: red }").hexdigest()


def test_many_files_read_by_threads_in_order(tmp_path: Path) -> None:
    files = []
    for n in range(600):
        path = tmp_path / f"f{n}.txt"
        path.write_text(f"file {n}\n" * (n % 7))
        files.append(FileStamp.of(str(path)))
    read = list(fingerprints.read_many(files))
    assert read == [Path(s.location).read_bytes() for s in files]


def written_long_ago(folder: Path, count: int) -> list[FileStamp]:
    paths = [folder / f"f{n}.css" for n in range(count)]
    for n, path in enumerate(paths):
        path.write_text(f"a{n} {{ }}")
        os.utime(path, ns=(10**18, 10**18))  # not racy: remembered
    return [FileStamp.of(str(path)) for path in paths]


def digests_of(stamps: list[FileStamp]) -> list[str]:
    return [hashlib.md5(Path(s.location).read_bytes()).hexdigest() for s in stamps]


# Most answers are read from the process's memory, not copied out of it: emptying it (a
# finished collection, a changed setting), or its filling up mid-answer, must lose none.
def test_an_answer_outlives_the_memory_being_emptied(tmp_path: Path) -> None:
    fingerprints.clear_memory_cache()
    stamps = written_long_ago(tmp_path, 30)
    answer = fingerprints.md5_many(stamps)
    fingerprints.clear_memory_cache()
    assert fingerprints.peek(stamps[0]) is None
    assert [answer[stamp] for stamp in stamps] == digests_of(stamps)


def test_an_answer_outlives_the_memory_filling_up_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fingerprints, "_MEMORY_LIMIT", 7)
    fingerprints.clear_memory_cache()
    stamps = written_long_ago(tmp_path, 30)
    answer = fingerprints.md5_many(stamps)
    assert [answer[stamp] for stamp in stamps] == digests_of(stamps)


@pytest.fixture
def busy_pool(monkeypatch: pytest.MonkeyPatch) -> list[Future[None]]:
    """The hashing processes, each busy for a second: what is sent next waits its turn."""
    running = pool._process_pool()
    if running is None:
        pytest.skip("one core: no hashing processes")
    monkeypatch.setattr(pool, "PROCESS_MIN_FILES", 1)
    monkeypatch.setattr(pool, "BATCH_FILES", 3)
    return [running.submit(time.sleep, 1.0) for _ in range(pool._cores())]


def stamped(tmp_path: Path, count: int) -> list[FileStamp]:
    stamps = []
    for n in range(count):
        path = tmp_path / f"ahead {n} ‹é›.png"
        path.write_bytes(b"\x89PNG" * (n + 1))
        os.utime(path, (1_000_000, 1_000_000))  # long ago: a digest taken is remembered
        stamps.append(FileStamp.of(str(path)))
    return stamps


def test_files_sent_ahead_are_waited_for_not_read_again(
    tmp_path: Path, busy_pool: list[Future[None]]
) -> None:
    stamps = stamped(tmp_path, 12)
    before = fingerprints.files_read()
    fingerprints.hash_ahead(stamps)
    digests = fingerprints.md5_many(stamps)
    assert [digests[s] for s in stamps] == [
        hashlib.md5(Path(s.location).read_bytes()).hexdigest() for s in stamps
    ]
    assert fingerprints.files_read() - before == len(stamps), "each file is read once"


def test_a_file_that_failed_ahead_is_read_again_and_its_error_said(
    tmp_path: Path, busy_pool: list[Future[None]]
) -> None:
    stamps = stamped(tmp_path, 4)
    os.unlink(stamps[0].location)
    fingerprints.hash_ahead(stamps)
    digests = fingerprints.md5_many(stamps)
    assert isinstance(digests[stamps[0]], FileNotFoundError)
    assert digests[stamps[3]] == hashlib.md5(Path(stamps[3].location).read_bytes()).hexdigest()


def test_a_file_changed_just_now_is_not_remembered_with_those_sent_ahead(
    tmp_path: Path, busy_pool: list[Future[None]]
) -> None:
    stamps = stamped(tmp_path, 6)
    fresh = tmp_path / "changed just now ‹é›.css"
    fresh.write_text("a { color: red }")
    stamps.insert(1, FileStamp.of(str(fresh)))  # racy, in a batch with two settled files
    fingerprints.hash_ahead(stamps)
    digests = fingerprints.md5_many(stamps)
    assert [digests[s] for s in stamps] == [
        hashlib.md5(Path(s.location).read_bytes()).hexdigest() for s in stamps
    ]
    assert fingerprints.peek(stamps[1]) is None, "its digest is not kept for a later check"
    kept = [s for s in stamps if s != stamps[1]]
    assert all(fingerprints.peek(s) == digests[s] for s in kept)


@pytest.mark.parametrize("asker", ["a request's thread", "the thread that sent them"])
def test_a_few_files_are_read_at_once_not_after_those_sent_ahead(
    tmp_path: Path, busy_pool: list[Future[None]], monkeypatch: pytest.MonkeyPatch, asker: str
) -> None:
    """A request asking for one file while a check's files are on their way, or the check
    asking for a few (a variant's original), reads them itself."""
    fingerprints.hash_ahead(stamped(tmp_path, 12))
    other = tmp_path / "asked for ‹é›.css"
    other.write_text("a { color: red }")
    stamp = FileStamp.of(str(other))
    monkeypatch.setattr(pool, "PROCESS_MIN_FILES", 2_000)  # a few files: read by the asker
    answers: list[object] = []

    def ask() -> None:
        answers.append(fingerprints.md5_many([stamp])[stamp])

    if asker == "the thread that sent them":
        ask()
    else:
        thread = threading.Thread(target=ask)
        thread.start()
        thread.join(10)
    assert answers == [hashlib.md5(other.read_bytes()).hexdigest()]
    assert not all(f.done() for f in busy_pool), "answered while the pool was still busy"


@pytest.mark.usefixtures("pool_to_itself")
def test_files_hashed_meanwhile_are_remembered_as_they_come_back(tmp_path: Path) -> None:
    stamps = stamped(tmp_path, 6)
    fresh = tmp_path / "changed just now ‹é›.css"
    fresh.write_text("a { color: red }")
    stamps.insert(1, FileStamp.of(str(fresh)))  # racy, in a batch with two settled files
    fingerprints.clear_memory_cache()
    fingerprints.hash_meanwhile(stamps)
    kept = [s for s in stamps if s != stamps[1]]
    assert known_soon(kept) == digests_of(kept)
    assert fingerprints.peek(stamps[1]) is None, "its digest is not kept for a later check"


def test_files_hashed_meanwhile_give_way_to_those_asked_for(
    tmp_path: Path, busy_pool: list[Future[None]]
) -> None:
    # At most one batch a process, and one more, is taken before what is asked for is sent.
    taken_ahead = (len(busy_pool) + 1) * pool.BATCH_FILES
    stamps = stamped(tmp_path, 4 * taken_ahead)
    fingerprints.clear_memory_cache()
    before = fingerprints.files_read()
    fingerprints.hash_meanwhile(stamps)  # queued behind the busy processes
    digests = fingerprints.md5_many(stamps)  # sent after: goes first, takes the rest back
    assert [digests[s] for s in stamps] == digests_of(stamps)
    read_twice = fingerprints.files_read() - before - len(stamps)
    assert 0 <= read_twice <= taken_ahead, "the others were never read for nothing"
