"""Reading the bytes of listed files, and hashing one.

Django-free on purpose (like whitenoise's core): the hashing processes (``pool``) import it,
and nothing of Django. Every read of a listed local file goes through ``read_recorded`` (or
its opening, ``_open_recorded``, for a large file hashed as it streams):
it opens only a regular file (never a FIFO or a device, which would block or never end) and
only the very file that was listed (same inode), so a file swapped for a symlink since the
listing is refused, not followed; and, for what is kept under the stamp, only as it was
listed (same size and mtime).
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Sequence
from typing import NamedTuple

CHUNK_BYTES = 1024 * 1024
# A file modified less than this long before it was stat'ed could be modified again within the
# same filesystem timestamp tick without its stamp changing ("racy git"); its digest is not cached.
RACY_NS = 2_000_000_000


class FileStamp(NamedTuple):
    """One version of one file on disk (a tuple, so comparing many of them stays cheap).

    The file is at ``root + name``. A listing keeps its folder as ``root`` (one string for all
    its files) and the name it already holds for the file as ``name``: a source's path in its
    folder, a storage name (``LocalFile``). So many stamps hold no second string per file. A
    stamp taken of a whole path (``of``) has the ``root`` ''. Two stamps of one file split
    otherwise are not equal: ``now()`` stamps a file again the way it was stamped.
    """

    root: str
    name: str
    size: int
    mtime_ns: int
    inode: int

    @property
    def location(self) -> str:
        """Return the file's path."""
        return self.root + self.name

    @classmethod
    def of(cls, location: str) -> FileStamp:
        """Return the stamp of the file at ``location`` now (raises ``OSError``, and
        ``NotRegularFile`` for a FIFO, a socket, a device or a folder)."""
        return cls.at("", location)

    @classmethod
    def at(cls, root: str, name: str) -> FileStamp:
        """Return the stamp of the file at ``root + name`` now, kept as those two strings."""
        location = root + name
        st = os.stat(location)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(location, st.st_mode)
        # tuple.__new__: the named tuple's generated __new__ is a Python call, and every check
        # stats every source file through here.
        return tuple.__new__(cls, (root, name, st.st_size, st.st_mtime_ns, st.st_ino))

    def now(self) -> FileStamp:
        """Return the stamp of the same file now, made the same way (raises ``OSError``)."""
        return FileStamp.at(self.root, self.name)

    def is_racy(self, now_ns: int | None = None) -> bool:
        """Return True if the file changed too recently for its stamp to be trusted."""
        return (now_ns if now_ns is not None else time.time_ns()) - self.mtime_ns < RACY_NS


class LocalFile(FileStamp):
    """One file of a local storage's listing: its own stamp, named by its storage name.

    It answers what a remote listing's file does (``listing.RemoteFile``), so the layers take
    either: its stamp is itself, and a local listing claims no md5 and no upload time.
    """

    __slots__ = ()
    listed_md5: None = None
    listed_at: None = None

    @property
    def stamp(self) -> FileStamp:
        return self

    @property
    def modified(self) -> float:
        """Return when the file was last written (time.time() seconds)."""
        return self.mtime_ns / 1e9


class TooLargeToHash(OSError):
    """The file is larger than ``ASSET_INSPECTOR["MAX_HASH_BYTES"]``."""


class NotRegularFile(OSError):
    """A FIFO, socket, device or folder where a file was expected: never opened (a FIFO's
    open() blocks until a writer comes, a device's read may never end)."""

    def __init__(self, location: str, mode: int) -> None:
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a folder"
            if stat.S_ISDIR(mode)
            else "not a regular file"
        )
        super().__init__(f"{location} is {kind}: not a regular file, never opened")
        self.kind = kind
        self.location, self.mode = location, mode

    def __reduce__(self) -> tuple[type[NotRegularFile], tuple[str, int]]:
        # Made again from what it was made of when it comes back from a hashing process.
        return type(self), (self.location, self.mode)


class ChangedSinceListed(OSError):
    """The file at the listed location is not the one the listing recorded: another inode
    (replaced, or swapped for a symlink, since), or, for a read whose answer is kept under the
    stamp, the same file written since (another size or mtime). Not read: a listing is what
    allows a read, and a digest kept under a stamp must be of the bytes that stamp names."""


# O_NONBLOCK: should a FIFO replace a listed file between its stat and its open, the open
# returns at once instead of waiting for a writer; the fstat check then refuses it.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_recorded(
    stamp: FileStamp, limit: int | None = None, *, any_version: bool = False
) -> bytes:
    """Return the bytes of the very file ``stamp`` recorded (at most ``limit + 1`` of them).

    Raises ``NotRegularFile`` or ``ChangedSinceListed`` instead of reading anything else: and,
    unless ``any_version``, instead of reading the file as written after it was stamped. What
    a check reads is kept under the stamp (a digest, a file's references); bytes written
    since would be kept under a stamp that names other bytes, and answered for it should
    those come back with the old mtime (``cp -p``, a restored backup). ``any_version`` is for
    a page that shows the file as it is now.
    """
    fd, size = _open_recorded(stamp, any_version=any_version)
    try:
        wanted = size + 1 if limit is None else min(size, limit) + 1
        chunks = []
        while wanted > 0:
            asked = min(wanted, CHUNK_BYTES * 16)
            chunk = os.read(fd, asked)
            if chunk:
                chunks.append(chunk)
                wanted -= len(chunk)
            if len(chunk) < asked:
                break  # a regular file reads short only at its end: no read to see it
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def read_within(stamp: FileStamp, limit: int) -> bytes:
    """Return the bytes of the very file ``stamp`` recorded; ``TooLargeToHash`` over ``limit``
    bytes (as listed), without opening it."""
    if stamp.size > limit:
        raise TooLargeToHash(f"not read: {stamp.size:,} bytes is over the {limit:,}-byte limit")
    return read_recorded(stamp)


def _open_recorded(stamp: FileStamp, *, any_version: bool = False) -> tuple[int, int]:
    """Open the very file ``stamp`` recorded (as it was then, unless ``any_version``); return
    its descriptor and its size now."""
    fd = os.open(stamp.location, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(stamp.location, st.st_mode)
        if st.st_ino != stamp.inode:
            raise _replaced(stamp)
        if not any_version and (st.st_mtime_ns != stamp.mtime_ns or st.st_size != stamp.size):
            raise _changed(stamp)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def same_file_now(stamp: FileStamp) -> FileStamp:
    """Return the stamp now of the very file ``stamp`` listed, perhaps written since (raises
    ``OSError``; ``ChangedSinceListed`` where another file is there now)."""
    now = stamp.now()
    if now.inode != stamp.inode:
        raise _replaced(stamp)
    return now


def _replaced(stamp: FileStamp) -> ChangedSinceListed:
    return ChangedSinceListed(
        f"{stamp.location} is not the file that was listed (replaced or swapped for a symlink "
        "since): not read"
    )


def _changed(stamp: FileStamp) -> ChangedSinceListed:
    return ChangedSinceListed(
        f"{stamp.location} changed since it was listed (other size or mtime): not read; the "
        "next check reads it as it is then"
    )


def hash_file(stamp: FileStamp, limit: int) -> str:
    """Return the md5 of the very file ``stamp`` recorded; ``TooLargeToHash`` over ``limit``."""
    if stamp.size > limit:
        raise TooLargeToHash(
            f"not compared: {stamp.size:,} bytes is over the {limit:,}-byte MAX_HASH_BYTES limit"
        )
    # A file that grows or shrinks while it is read is not hashed under its stamp: the
    # digest is kept there.
    if stamp.size <= CHUNK_BYTES:
        data = read_recorded(stamp)
        if len(data) != stamp.size:
            raise _changed(stamp)
        return hashlib.md5(data, usedforsecurity=False).hexdigest()
    fd, _ = _open_recorded(stamp)
    digest = hashlib.md5(usedforsecurity=False)
    read = 0
    with os.fdopen(fd, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
            read += len(chunk)
            if read > stamp.size:
                break
    if read != stamp.size:
        raise _changed(stamp)
    return digest.hexdigest()


def hash_batch(stamps: Sequence[FileStamp], limit: int) -> list[str | OSError]:
    """Return the md5 of each stamp, or the ``OSError`` that prevented reading it."""
    out: list[str | OSError] = []
    for stamp in stamps:
        try:
            out.append(hash_file(stamp, limit))
        except OSError as exc:
            out.append(exc)
    return out
