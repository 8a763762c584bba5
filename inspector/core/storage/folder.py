"""Walking a local collected folder (``STATIC_ROOT``), here or in a hashing process.

Django-free, so a spawned process imports it without settings. A large project's folder is
walked in one of the hashing processes while this process stats the sources
(``listing.ListingAhead``); the walk comes back packed (the names in one list, sizes, mtimes and
inodes in arrays) and is unpacked here into the same records a walk in this process makes.
"""

from __future__ import annotations

import os
import stat
import time
from array import array
from functools import partial
from itertools import repeat
from typing import NamedTuple

from ..bulk import collector_paused
from ..reading import RACY_NS, LocalFile
from ..shared_strings import one_copy


class Walked(NamedTuple):
    """Every regular file under a folder, by ``/``-separated name, and what the walk met."""

    files: dict[str, LocalFile]
    errors: list[str]
    # Symlinks that lead outside the folder and every allowed one: never listed (name -> where).
    refused: dict[str, str]
    # A file changed too recently for its stamp to prove it has not changed again since.
    racy: bool
    # time.time() when the walk began, and the seconds it took.
    taken_at: float
    duration: float


# Stat'ing by name inside an open folder spares the kernel resolving every file's full path:
# a quarter of a local listing's time.
_FD_WALK = os.scandir in os.supports_fd and os.stat in os.supports_dir_fd


def walk(root: str, allowed: tuple[str, ...] = (), linked: tuple[str, ...] = ()) -> Walked:
    """Walk the folder ``root``; a symlink is followed only where it leads inside ``root`` or
    one of the ``allowed`` folders (``collectstatic --link`` links to the sources), or names a
    path inside one of the ``linked`` source folders as configured (a source file the source
    reaches through a symlink of its own, which Django follows)."""
    taken_at, started = time.time(), time.monotonic()
    files: dict[str, LocalFile] = {}
    errors: list[str] = []
    refused: dict[str, str] = {}
    newest = 0
    now_ns = time.time_ns()  # before any stat: stamps are judged as of the earliest moment
    inside = (os.path.realpath(root), *allowed)
    pending = [("", root)]
    # Every file's stamp is this folder and its storage name: one string for the whole walk.
    root_folder = _as_folder(root)
    seen: set[tuple[int, int]] = set()  # folders walked: a linked folder is walked once
    # Tens of thousands of entries: the loop body is kept to what each file needs, and the
    # named tuples are made by tuple.__new__ (their generated __new__ is a Python call).
    new = tuple.__new__
    # One int per size, not per file: a file's copy and its hashed copy have the same size,
    # and a large int is 32 bytes.
    sizes: dict[int, int] = {}
    while pending:
        prefix, folder = pending.pop()
        fd = None
        try:
            try:
                if _FD_WALK:
                    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
                    folder_stat = os.fstat(fd)
                else:
                    folder_stat = os.stat(folder)
                identity = (folder_stat.st_dev, folder_stat.st_ino)
                if identity in seen:
                    continue
                seen.add(identity)
                entries = list(os.scandir(fd if fd is not None else folder))
            except FileNotFoundError:
                continue
            except OSError as exc:
                errors.append(f"cannot list {folder}: {exc.strerror or exc}")
                continue
            base = _as_folder(folder)
            for entry in entries:
                name = one_copy(prefix + entry.name)
                try:
                    if entry.is_symlink() and not _leads_inside(base + entry.name, inside, linked):
                        refused[name] = os.path.realpath(base + entry.name)
                        continue
                    if entry.is_dir():
                        pending.append((name + "/", base + entry.name))
                        continue
                    st = entry.stat()  # through the folder's descriptor when it has one
                except OSError:
                    continue  # deleted while walking: it is simply not there
                if not stat.S_ISREG(st.st_mode):
                    continue  # a FIFO or a device: nothing a storage serves
                mtime = st.st_mtime_ns
                if mtime > newest:
                    newest = mtime
                size = sizes.setdefault(st.st_size, st.st_size)
                files[name] = new(LocalFile, (root_folder, name, size, mtime, st.st_ino))
        finally:
            if fd is not None:
                os.close(fd)
    # Racy if the newest file changed within the last tick, as FileStamp.is_racy decides.
    racy = bool(files) and now_ns - newest < RACY_NS
    return Walked(files, errors, refused, racy, taken_at, time.monotonic() - started)


def _as_folder(path: str) -> str:
    return path if path.endswith(os.sep) else path + os.sep


def _leads_inside(link: str, folders: tuple[str, ...], named: tuple[str, ...] = ()) -> bool:
    target = os.path.realpath(link)
    if any(target == f or target.startswith(f + os.sep) for f in folders):
        return True
    if not named:
        return False
    # collectstatic --link writes the source's path as Django builds it (absolute, no "..");
    # beyond it a symlink of the source folder may lead out, and that file is a source.
    literal = os.readlink(link)
    if not os.path.isabs(literal) or ".." in literal.split(os.sep):
        return False
    return any(literal.startswith(f + os.sep) for f in named)


class Packed(NamedTuple):
    """A ``Walked`` as it crosses between processes: a list of names and arrays of their
    sizes, mtimes and inodes, which pickle as a few objects rather than a named tuple and
    three ints per file."""

    root: str
    names: list[str]
    sizes: array[int]
    mtimes: array[int]
    inodes: array[int]
    errors: list[str]
    refused: dict[str, str]
    racy: bool
    taken_at: float
    duration: float


def walk_packed(root: str, allowed: tuple[str, ...], linked: tuple[str, ...]) -> Packed:
    """Return ``walk``'s answer packed: what a hashing process sends back."""
    with collector_paused():
        walked = walk(root, allowed, linked)
    stamps = walked.files.values()
    return Packed(
        _as_folder(root),
        list(walked.files),
        array("q", [s.size for s in stamps]),
        array("q", [s.mtime_ns for s in stamps]),  # before 1970: negative
        array("Q", [s.inode for s in stamps]),
        walked.errors,
        walked.refused,
        walked.racy,
        walked.taken_at,
        walked.duration,
    )


def unpacked(packed: Packed) -> Walked:
    """Return the ``Walked`` that ``packed`` was made of, its names shared (``one_copy``) with
    every other record of this process that holds them."""
    names = list(map(one_copy, packed.names))
    sizes: dict[int, int] = {}  # one int per size, as ``walk`` keeps them
    # Built by C loops (map, zip), not a Python loop: this process pays for every file.
    rows = zip(
        repeat(packed.root),
        names,
        map(sizes.setdefault, packed.sizes, packed.sizes),
        packed.mtimes,
        packed.inodes,
    )
    stamps = map(partial(tuple.__new__, LocalFile), rows)
    return Walked(
        dict(zip(names, stamps, strict=True)),
        packed.errors,
        packed.refused,
        packed.racy,
        packed.taken_at,
        packed.duration,
    )
