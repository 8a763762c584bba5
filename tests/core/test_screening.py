"""Screening CSS and JS in the hashing processes: the same answers as reading them here, only
the texts that may hold a reference come back, and what cannot be read says why."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from inspector.core import fingerprints
from inspector.core.reading import ChangedSinceListed, FileStamp, TooLargeToHash
from inspector.core.screening import (
    Needles,
    Screened,
    ScreenedBatch,
    may_refer,
    screen_batch,
    screen_bytes,
    screen_many,
)

CSS: Needles = ((b"url(", False), (b"@import", True))
JS: Needles = ((b"sourcemappingurl", True),)

FILES: dict[str, tuple[bytes, Needles]] = {
    "refers.css": (b'.a { background: url("img/a.png") }\n', CSS),
    "plain.css": (b".a { color: red }\n", CSS),
    "shouting.css": (b'@IMPORT "b.css";\n', CSS),
    "mapped.js": (b"x();\n//# sourceMappingURL=mapped.js.map\n", JS),
    "quiet.js": (b"x();\n", JS),
    "always.js": (b"x();\n", None),
    "latin1 ‹é› '<script>'.css": ("p { content: 'é' }".encode("latin-1"), CSS),
    "big.css": (b"url(" * 64, CSS),
}


def written(tmp_path: Path) -> tuple[list[FileStamp], list[Needles]]:
    stamps, needles = [], []
    for name, (data, looked_for) in FILES.items():
        (tmp_path / name).write_bytes(data)
        os.utime(tmp_path / name, (1_000_000, 1_000_000))  # long ago: its digest is remembered
        stamps.append(FileStamp.of(str(tmp_path / name)))
        needles.append(looked_for)
    return stamps, needles


def md5_of(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@pytest.mark.usefixtures("through_the_pool")
def test_the_pool_tells_what_reading_here_tells(tmp_path: Path) -> None:
    stamps, needles = written(tmp_path)
    gone = stamps.pop(0)
    os.unlink(gone.location)
    stamps.append(gone)
    needles.append(needles.pop(0))
    counted: list[int] = []
    limit = len(FILES["big.css"][0]) - 1
    found = list(screen_many(stamps, needles, limit, counted.append))
    here = list(screen_batch(stamps, needles, limit))
    assert [repr(a) for a in found] == [repr(a) for a in here], "as read in this process"

    assert sum(counted) == len(FILES), "progress counts every file"
    by_name = dict(zip((os.path.basename(s.location) for s in stamps), found, strict=True))
    assert isinstance(by_name["refers.css"], FileNotFoundError)
    assert isinstance(by_name["big.css"], TooLargeToHash)
    for name in ("plain.css", "shouting.css", "mapped.js", "quiet.js", "always.js"):
        data, looked_for = FILES[name]
        assert by_name[name] == screen_bytes(data, looked_for), name
        assert by_name[name] == Screened(
            md5_of(data), True, data.decode() if may_refer(looked_for, data) else None
        )
    assert [n for n, s in by_name.items() if isinstance(s, Screened) and s.text] == [
        "shouting.css",
        "mapped.js",
        "always.js",
    ], "only the texts that may hold a reference come back"
    latin = by_name["latin1 ‹é› '<script>'.css"]
    assert isinstance(latin, Screened)
    assert latin.text is None and latin.undecodable and "utf-8" in latin.undecodable
    assert latin.md5 == md5_of(FILES["latin1 ‹é› '<script>'.css"][0])


@pytest.mark.usefixtures("through_the_pool")
def test_a_file_grown_since_its_stat_is_not_read_nor_remembered(tmp_path: Path) -> None:
    stamps, needles = written(tmp_path)
    grown = stamps[1]
    with open(grown.location, "ab") as stream:
        stream.write(b"/* more */\n")
    found = list(fingerprints.screen(stamps, needles))
    assert isinstance(found[1], ChangedSinceListed), "its stamp names other bytes"
    assert "changed since it was listed" in str(found[1])
    assert fingerprints.peek(grown) is None, "a digest of other bytes than the stamp's"
    assert fingerprints.peek(stamps[2]) == md5_of(FILES["shouting.css"][0])


def test_bytes_that_are_not_as_many_as_the_stamp_says_are_told_not_whole(tmp_path: Path) -> None:
    # What a read finds when the file is written while it is read, after its fstat.
    stamp = FileStamp("", str(tmp_path / "site.css"), 5, 0, 1)
    batch = ScreenedBatch()
    batch.add(stamp, b"a{b:c}", CSS)
    batch.add(stamp, b"a{b:", CSS)
    batch.add(stamp, b"a{b}\n", CSS)
    assert [s.whole for s in batch if isinstance(s, Screened)] == [False, False, True]


def test_needles_are_looked_for_as_the_patterns_match() -> None:
    assert may_refer(None, b""), "a pattern without a literal: any text may refer"
    assert not may_refer((), b"url("), "no pattern applies"
    assert may_refer(CSS, b"a{background:url(x)}")
    assert not may_refer(CSS, b"a{background:URL(x)}"), "url( is matched as written"
    assert may_refer(CSS, b"@ImPoRt 'x';"), "@import ignoring case"
    # Ignoring case, a few non-ASCII letters fold onto ASCII ones (the Kelvin sign onto k):
    # a text that is not ASCII is always looked at.
    assert may_refer(JS, "//# sourcemappingurl=\u212a".encode())
    assert may_refer(((b"kelvin", True),), "\u212aelvin".encode())
    assert not may_refer(JS, b"x();")
