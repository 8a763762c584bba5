"""Reading listed files: only the regular file the listing recorded is ever opened."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from inspector.core import fingerprints
from inspector.core.fingerprints import ChangedSinceListed, FileStamp, NotRegularFile


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
