"""One digest of every file under some folders: a re-check that runs in another process.

A re-check stats every source and collected file (hundreds of thousands at a large site), and in
a web process that Python work holds the GIL its requests need. The same walk run in one of the
hashing processes (``pool.in_pool``) returns one digest instead: equal to the digest taken
before the last full check, it proves that no file was added, removed, replaced or rewritten
since, so the layers stand and the web process stat'ed nothing. A file changed within the last
clock tick proves nothing (``RACY_NS``, as ``FileStamp.is_racy`` decides): the walk then returns
None and the full check runs.

Django-free, so a spawned process imports it without settings.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence

from .reading import RACY_NS

# A file that cannot be stat'ed (deleted while walked) still counts, as a change would.
_GONE = (-1, 0, 0)
# Stat'ing by name inside an open folder spares the kernel resolving every file's full path.
_FD_WALK = os.scandir in os.supports_fd and os.stat in os.supports_dir_fd
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def fingerprint(folders: Sequence[str]) -> str | None:
    """Return a digest of the names, sizes, mtimes and inodes of every file under ``folders``
    (symlinks followed, each real folder walked once), or None if a file changed too recently
    for the digest to prove anything.

    The digest does not depend on the order ``os.scandir`` lists entries in.
    """
    now_ns = time.time_ns()  # before any stat: stamps are judged as of the earliest moment
    digest = hashlib.md5(usedforsecurity=False)
    newest = 0
    seen: set[tuple[int, int]] = set()
    for top in folders:
        pending = [top]
        while pending:
            folder = pending.pop()
            try:
                fd = os.open(folder, _DIRECTORY) if _FD_WALK else None
                try:
                    st = os.fstat(fd) if fd is not None else os.stat(folder)
                    identity = (st.st_dev, st.st_ino)
                    if identity in seen:
                        digest.update(f"seen {folder!r}\n".encode(errors="surrogateescape"))
                        continue
                    seen.add(identity)
                    with os.scandir(fd if fd is not None else folder) as listed:
                        entries = list(listed)
                    rows, subfolders, newest = _stat_entries(entries, newest)
                finally:
                    if fd is not None:
                        os.close(fd)
            except OSError as exc:
                digest.update(f"unlisted {folder!r} {exc.errno}\n".encode(errors="surrogateescape"))
                continue
            digest.update(f"{folder!r}{rows!r}{subfolders!r}\n".encode(errors="surrogateescape"))
            pending.extend(os.path.join(folder, name) for name in reversed(subfolders))
    if now_ns - newest < RACY_NS:
        return None
    return digest.hexdigest()


def _stat_entries(
    entries: list[os.DirEntry[str]], newest: int
) -> tuple[list[tuple[str, int, int, int]], list[str], int]:
    """Return one folder's files as sorted (name, size, mtime, inode), its sorted subfolders
    and the newest mtime seen so far."""
    rows: list[tuple[str, int, int, int]] = []
    subfolders: list[str] = []
    for entry in entries:
        try:
            if entry.is_dir():
                subfolders.append(entry.name)
                continue
            st = entry.stat()  # through the folder's descriptor when it has one
        except OSError:
            rows.append((entry.name, *_GONE))
            continue
        mtime = st.st_mtime_ns
        if mtime > newest:
            newest = mtime
        rows.append((entry.name, st.st_size, mtime, st.st_ino))
    rows.sort()
    subfolders.sort()
    return rows, subfolders, newest
