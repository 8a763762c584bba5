"""Content fingerprints: md5 of a file's bytes, computed lazily and cached by file version.

A file version is identified by its :class:`FileStamp` (path, size, mtime, inode). Digests are kept
in process memory and, when ``ASSET_INSPECTOR["CACHE"]`` names a cache alias, in Django's cache
framework, so web workers and CLI runs share the work.

Every read of a listed local file goes through ``read_recorded``: it opens only a regular file
(never a FIFO or a device, which would block or never end) and only the very file that was
listed (same inode), so a file swapped for a symlink since the listing is refused, not followed.
Many files are read by a few threads at once (``read_many``): reading and hashing release the
GIL, so both cores work on the bytes.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, NamedTuple, TypeVar

from django.core.cache import BaseCache
from django.core.cache.backends.locmem import LocMemCache

from ..conf import get_config, shared_cache
from . import caches

CHUNK_BYTES = 1024 * 1024
# A file modified less than this long before it was stat'ed could be modified again within the
# same filesystem timestamp tick without its stamp changing ("racy git"); its digest is not cached.
RACY_NS = 2_000_000_000
_MEMORY_LIMIT = 500_000
_BUCKETS = 64

_memory: dict[FileStamp, str] = {}
_lock = threading.Lock()


class FileStamp(NamedTuple):
    """One version of one file on disk (a tuple, so comparing many of them stays cheap)."""

    location: str
    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, location: str) -> FileStamp:
        """Return the stamp of the file at ``location`` now (raises ``OSError``, and
        ``NotRegularFile`` for a FIFO, a socket, a device or a folder)."""
        st = os.stat(location)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(location, st.st_mode)
        return cls(location, st.st_size, st.st_mtime_ns, st.st_ino)

    def is_racy(self, now_ns: int | None = None) -> bool:
        """Return True if the file changed too recently for its stamp to be trusted."""
        return (now_ns if now_ns is not None else time.time_ns()) - self.mtime_ns < RACY_NS

    def cache_key(self) -> str:
        raw = f"{self.location}\0{self.size}\0{self.mtime_ns}\0{self.inode}"
        return "inspector:md5:" + hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()


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


class ChangedSinceListed(OSError):
    """The file at the listed location is not the one the listing recorded (another inode):
    replaced, or swapped for a symlink, since. Not read: a listing is what allows a read."""


# O_NONBLOCK: should a FIFO replace a listed file between its stat and its open, the open
# returns at once instead of waiting for a writer; the fstat check then refuses it.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_recorded(stamp: FileStamp, limit: int | None = None) -> bytes:
    """Return the bytes of the very file ``stamp`` recorded (at most ``limit + 1`` of them).

    Raises ``NotRegularFile`` or ``ChangedSinceListed`` instead of reading anything else.
    """
    fd = _open_recorded(stamp)
    try:
        size = os.fstat(fd).st_size
        wanted = size + 1 if limit is None else min(size, limit) + 1
        chunks = []
        while wanted > 0:
            chunk = os.read(fd, min(wanted, CHUNK_BYTES * 16))
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def _open_recorded(stamp: FileStamp) -> int:
    fd = os.open(stamp.location, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(stamp.location, st.st_mode)
        if st.st_ino != stamp.inode:
            raise ChangedSinceListed(
                f"{stamp.location} is not the file that was listed (replaced or swapped for a "
                "symlink since): not read"
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


def md5_stream(stream: IO[bytes]) -> str:
    """Return the md5 hex digest of everything readable from ``stream``."""
    digest = hashlib.md5(usedforsecurity=False)
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


def peek(stamp: FileStamp) -> str | None:
    """Return the digest of ``stamp`` if this process already knows it, without any I/O."""
    return _memory.get(stamp)


def md5_many(stamps: Iterable[FileStamp]) -> dict[FileStamp, str | OSError]:
    """Return the digest of every stamp, or the ``OSError`` that prevented reading it.

    Memory first, then one ``get_many`` on the shared cache, then the bytes themselves.
    """
    wanted = list(dict.fromkeys(stamps))
    results: dict[FileStamp, str | OSError] = {}
    missing = []
    for stamp in wanted:
        known = _memory.get(stamp)
        if known is None:
            missing.append(stamp)
        else:
            results[stamp] = known
    if not missing:
        return results

    config = get_config()
    cache = _cross_process_cache()
    shared_from = config["SHARED_CACHE_MIN_BYTES"]
    buckets: dict[str, list[FileStamp]] = {}
    if cache is not None:
        keyed = {s.cache_key(): s for s in missing if s.size >= shared_from}
        # Small files are shared in buckets: one cache entry per few hundred files costs a
        # round-trip per bucket instead of per file, and an edit invalidates one bucket.
        buckets = _buckets([s for s in missing if s.size < shared_from])
        found = cache.get_many([*keyed, *buckets])
        for key, value in found.items():
            if key in keyed:
                results[keyed[key]] = value
                _remember(keyed[key], value)
            else:
                for stamp, digest in zip(buckets.pop(key), value, strict=True):
                    results[stamp] = digest
                    _remember(stamp, digest)
        missing = [stamp for stamp in missing if stamp not in results]

    now_ns = time.time_ns()
    computed: dict[str, object] = {}
    limit = int(config["MAX_HASH_BYTES"])
    for stamp, digest in zip(
        missing, in_parallel(lambda s: _hash_file(s, limit), missing), strict=True
    ):
        results[stamp] = digest
        if isinstance(digest, OSError):
            continue
        if not stamp.is_racy(now_ns):
            _remember(stamp, digest)
            if stamp.size >= shared_from:
                computed[stamp.cache_key()] = digest
    for key, members in buckets.items():
        digests = [results.get(stamp) for stamp in members]
        if all(isinstance(d, str) for d in digests) and not any(
            stamp.is_racy(now_ns) for stamp in members
        ):
            computed[key] = digests
    if cache is not None and computed:
        cache.set_many(computed, timeout=config["CACHE_TIMEOUT"])
    return results


def _cross_process_cache() -> BaseCache | None:
    """Return ``CACHE`` unless it lives in this process only (a locmem cache): there it would
    hold what this module's memory holds already, at the cost of a key and a pickle per file."""
    cache = shared_cache()
    return None if isinstance(cache, LocMemCache) else cache


def _buckets(stamps: list[FileStamp]) -> dict[str, list[FileStamp]]:
    """Group stamps by a hash of their folder; key each group by every stamp in it."""
    groups: dict[int, list[FileStamp]] = {}
    for stamp in stamps:
        folder = os.path.dirname(stamp.location).encode("utf-8", "surrogateescape")
        groups.setdefault(zlib.crc32(folder) % _BUCKETS, []).append(stamp)
    keyed = {}
    for members in groups.values():
        members.sort()
        raw = "\0".join(f"{s.location}\0{s.size}\0{s.mtime_ns}\0{s.inode}" for s in members)
        digest = hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()
        keyed["inspector:md5-bucket:" + digest] = members
    return keyed


def md5(stamp: FileStamp) -> str:
    """Return the digest of one file version (raises ``OSError`` if it cannot be read)."""
    result = md5_many([stamp])[stamp]
    if isinstance(result, OSError):
        raise result
    return result


def clear_memory_cache() -> None:
    """Forget every digest this process holds (the shared cache is left alone)."""
    with _lock:
        _memory.clear()


def _hash_file(stamp: FileStamp, limit: int) -> str:
    if stamp.size > limit:
        raise TooLargeToHash(
            f"not compared: {stamp.size:,} bytes is over the {limit:,}-byte MAX_HASH_BYTES limit"
        )
    if stamp.size <= CHUNK_BYTES:
        return hashlib.md5(read_recorded(stamp), usedforsecurity=False).hexdigest()
    fd = _open_recorded(stamp)
    with os.fdopen(fd, "rb") as stream:
        return md5_stream(stream)


def read_many(stamps: Sequence[FileStamp], limit: int | None = None) -> Iterator[bytes | OSError]:
    """Yield the bytes of each file of ``stamps`` in order (or the error that prevented it),
    read by a few threads; each file's md5 is remembered as it is read, so hashing it later
    costs no second read."""
    now_ns = time.time_ns()
    cap = int(get_config()["MAX_HASH_BYTES"]) if limit is None else limit

    def read(stamp: FileStamp) -> bytes:
        if stamp.size > cap:
            raise TooLargeToHash(f"not read: {stamp.size:,} bytes is over the {cap:,}-byte limit")
        data = read_recorded(stamp)
        if not stamp.is_racy(now_ns) and len(data) == stamp.size:
            _remember(stamp, hashlib.md5(data, usedforsecurity=False).hexdigest())
        return data

    return in_parallel(read, stamps)


_T = TypeVar("_T")
_In = TypeVar("_In")
# Files per task: enough to pay for a task's overhead, few enough to keep both threads busy.
_BATCH = 128
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


_files_read = 0


def files_read() -> int:
    """Return how many files this process has read through ``in_parallel`` (for progress)."""
    return _files_read


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def in_parallel(work: Callable[[_In], _T], items: Sequence[_In]) -> Iterator[_T | OSError]:
    """Yield ``work(item)`` (or the ``OSError`` it raised) for each item, in order.

    Batches run on a small thread pool, a bounded number ahead of the consumer, so a caller
    that keeps only some results never holds every file's bytes at once.
    """

    def batch(start: int) -> list[_T | OSError]:
        global _files_read
        out: list[_T | OSError] = []
        for item in items[start : start + _BATCH]:
            try:
                out.append(work(item))
            except OSError as exc:
                out.append(exc)
        _files_read += len(out)  # a progress figure: a lost update between threads is harmless
        return out

    starts = range(0, len(items), _BATCH)
    if _workers() == 1 or len(items) <= _BATCH:
        for start in starts:
            yield from batch(start)
        return
    pool = _thread_pool()
    ahead = 2 * _workers()
    pending: list[Future[list[_T | OSError]]] = []
    queued = iter(starts)
    for start in queued:
        pending.append(pool.submit(batch, start))
        if len(pending) >= ahead:
            break
    while pending:
        done = pending.pop(0)
        nxt = next(queued, None)
        if nxt is not None:
            pending.append(pool.submit(batch, nxt))
        yield from done.result()


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_workers(), thread_name_prefix="inspector-read")
        return _pool


caches.register(
    "fingerprints",
    clear_memory_cache,
    fresh_while="the file's stamp (path, size, mtime, inode) is unchanged and was not racy",
)


def _remember(stamp: FileStamp, digest: str) -> None:
    with _lock:
        if len(_memory) >= _MEMORY_LIMIT:
            _memory.clear()
        _memory[stamp] = digest
