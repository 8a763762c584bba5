"""Screening CSS and JS sources for references, in the hashing processes.

Django-free, like ``reading``: the hashing processes import it. A manifest storage names a CSS or
JS file after its text once its references are rewritten, so each one must be read: for its md5,
for whether it is UTF-8 (collectstatic fails on one that is not), and for whether it may hold a
reference at all. Most hold none and already have their final name. Read where they are hashed,
only the texts that may hold a reference come back to the checking process.

Whether a text may hold one is told by needles (``Needles``): the literal every match of one of
the storage's reference patterns contains (``url(``, ``@import``), found by
``manifest.prefilter``, which also says when there is none to look for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from .pool import Aligned, in_batches
from .reading import FileStamp, read_within

# The literals to look for, each with whether it is matched ignoring case (then held in lower
# case); None where a pattern has no such literal, so any text may hold a reference.
Needles = tuple[tuple[bytes, bool], ...] | None


class Screened(NamedTuple):
    """What one read of a CSS or JS file found."""

    md5: str
    # Whether the bytes read are as many as the stamp says: not when the file was written
    # while it was read (after the fstat that found it as listed). Used, never remembered.
    whole: bool
    # The text, when it may hold a reference; None when it holds none, or is not UTF-8.
    text: str | None
    # Why the bytes are not UTF-8 (None: they are).
    undecodable: str | None = None


class ScreenedBatch:
    """What one batch of reads found, compact until taken one file at a time: the answers of
    a batch wait in this process until they are taken, and most files tell only their md5."""

    __slots__ = ("_count", "_digests", "_errors", "_texts", "_undecodable", "_unwhole")

    def __init__(self) -> None:
        self._count = 0
        self._digests = bytearray()  # 16 bytes per file (zeros for an error)
        self._unwhole: list[int] = []
        # The bytes of the texts kept, decoded when taken: by the thread that keeps them.
        self._texts: dict[int, bytes] = {}
        self._undecodable: dict[int, str] = {}
        self._errors: dict[int, OSError] = {}

    def add(self, stamp: FileStamp, data: bytes, needles: Needles) -> None:
        index = self._count
        self._count += 1
        self._digests += hashlib.md5(data, usedforsecurity=False).digest()
        if len(data) != stamp.size:
            self._unwhole.append(index)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._undecodable[index] = str(exc)
            return
        if may_refer(needles, data):
            self._texts[index] = data

    def fail(self, error: OSError) -> None:
        self._errors[self._count] = error
        self._digests += bytes(16)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Screened | OSError]:
        """Yield each file's answer in order, once: each text is let go as it is taken."""
        unwhole = set(self._unwhole)
        for index in range(self._count):
            error = self._errors.get(index)
            if error is not None:
                yield error
                continue
            data = self._texts.pop(index, None)
            yield Screened(
                self._digests[16 * index : 16 * index + 16].hex(),
                index not in unwhole,
                None if data is None else data.decode("utf-8"),
                self._undecodable.get(index),
            )


def may_refer(needles: Needles, data: bytes) -> bool:
    """Return False only if no needle is in ``data`` (any may be, for ``None``)."""
    if needles is None:
        return True
    lowered: bytes | None = None
    for needle, folded in needles:
        if not folded:
            if needle in data:
                return True
            continue
        # Case-insensitive Unicode matching folds a few non-ASCII letters onto ASCII ones.
        if not data.isascii():
            return True
        if lowered is None:
            lowered = data.lower()
        if needle in lowered:
            return True
    return False


def screen_bytes(data: bytes, needles: Needles) -> Screened:
    """Return what ``data``, the whole bytes of a CSS or JS file, tells."""
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Screened(md5, True, None, str(exc))
    return Screened(md5, True, text if may_refer(needles, data) else None)


def screen_batch(
    stamps: Sequence[FileStamp], needles: Sequence[Needles], limit: int
) -> ScreenedBatch:
    """Return what each file tells (``needles``: what to look for in each), or the ``OSError``
    that prevented reading it."""
    out = ScreenedBatch()
    for stamp, looked_for in zip(stamps, needles, strict=True):
        try:
            data = read_within(stamp, limit)
        except OSError as exc:
            out.fail(exc)
            continue
        out.add(stamp, data, looked_for)
    return out


def screen_many(
    stamps: Sequence[FileStamp],
    needles: Sequence[Needles],
    limit: int,
    done: Callable[[int], None],
    processes: int | None = None,
) -> Iterator[Screened | OSError]:
    """Yield what each file tells, in order, read on every core for many files."""
    return in_batches(screen_batch, stamps, (Aligned(needles), limit), done, processes)
