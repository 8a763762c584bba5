"""Content fingerprints: md5 of a file's bytes, computed lazily and cached by file version.

A file version is identified by its :class:`FileStamp` (path, size, mtime, inode). Digests are kept
in process memory and, when ``ASSET_INSPECTOR["CACHE"]`` names a cache alias, in Django's cache
framework, so web workers and CLI runs share the work. The bytes themselves are read by
``core.reading`` (only the very files a listing recorded; many of them on every core).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence

from ..conf import cross_process_cache, get_config
from . import caches
from .reading import (
    CHUNK_BYTES,
    RACY_NS,
    ChangedSinceListed,
    FileStamp,
    NotRegularFile,
    TooLargeToHash,
    digests,
    md5_stream,
    read_recorded,
)
from .shared_strings import one_copy

__all__ = [
    "CHUNK_BYTES",
    "RACY_NS",
    "NO_DIGESTS",
    "ChangedSinceListed",
    "Digests",
    "FileStamp",
    "NotRegularFile",
    "TooLargeToHash",
    "files_read",
    "md5",
    "md5_many",
    "md5_stream",
    "peek",
    "read_many",
    "read_recorded",
]

_MEMORY_LIMIT = 500_000
_BUCKETS = 64

# Emptied by replacing it, never in place: a ``Digests`` answer keeps reading the memory it
# was answered from.
_memory: dict[FileStamp, str] = {}
_lock = threading.Lock()


class Digests:
    """What ``md5_many`` found: the digest of each stamp it was asked, or the ``OSError`` that
    prevented reading it.

    Most answers are in the process's memory, and are read from there: a copy of them, asked
    about every file of a large listing, would be one more large dict. They are read from the
    memory as it was when answered, since emptying the memory replaces it: none of them is lost
    meanwhile. The rest (errors, digests of files changed too recently to remember, digests
    found after the memory was replaced) are held here.
    """

    __slots__ = ("_memory", "_own")

    def __init__(self, memory: dict[FileStamp, str], own: dict[FileStamp, str | OSError]) -> None:
        self._memory, self._own = memory, own

    def get(self, stamp: FileStamp) -> str | OSError | None:
        """Return the digest of ``stamp`` (None if it was not asked)."""
        found = self._own.get(stamp)
        return found if found is not None else self._memory.get(stamp)

    def __getitem__(self, stamp: FileStamp) -> str | OSError:
        found = self.get(stamp)
        if found is None:
            raise KeyError(stamp)
        return found


NO_DIGESTS = Digests({}, {})


def peek(stamp: FileStamp) -> str | None:
    """Return the digest of ``stamp`` if this process already knows it, without any I/O."""
    return _memory.get(stamp)


def md5_many(stamps: Iterable[FileStamp]) -> Digests:
    """Return the digest of every stamp, or the ``OSError`` that prevented reading it.

    Memory first, then one ``get_many`` on the shared cache, then the bytes themselves.
    """
    memory = _memory
    results: dict[FileStamp, str | OSError] = {}
    # Only the stamps still to find are gathered (once each).
    unknown: dict[FileStamp, None] = {}
    for stamp in stamps:
        if stamp not in memory:
            unknown[stamp] = None
    if not unknown:
        return Digests(memory, results)
    missing = list(unknown)
    del unknown

    config = get_config()
    cache = cross_process_cache()
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
                _keep(memory, results, keyed[key], one_copy(value))
            else:
                for stamp, digest in zip(buckets.pop(key), value, strict=True):
                    _keep(memory, results, stamp, one_copy(digest))
        missing = [stamp for stamp in missing if stamp not in memory and stamp not in results]

    now_ns = time.time_ns()
    computed: dict[str, object] = {}
    limit = int(config["MAX_HASH_BYTES"])
    hashed = digests(missing, limit, _count_read, config["HASH_PROCESSES"])
    for stamp, digest in zip(missing, hashed, strict=True):
        if isinstance(digest, OSError):
            results[stamp] = digest
            continue
        digest = one_copy(digest)
        if stamp.is_racy(now_ns):
            results[stamp] = digest
            continue
        _keep(memory, results, stamp, digest)
        if stamp.size >= shared_from:
            computed[stamp.cache_key()] = digest
    answer = Digests(memory, results)
    for key, members in buckets.items():
        bucket = [answer.get(stamp) for stamp in members]
        if all(isinstance(d, str) for d in bucket) and not any(
            stamp.is_racy(now_ns) for stamp in members
        ):
            computed[key] = bucket
    if cache is not None and computed:
        cache.set_many(computed, timeout=config["CACHE_TIMEOUT"])
    return answer


def _keep(
    memory: dict[FileStamp, str],
    results: dict[FileStamp, str | OSError],
    stamp: FileStamp,
    digest: str,
) -> None:
    """Remember ``digest``; hold it in ``results`` too if the memory was emptied since."""
    if _remember(stamp, digest) is not memory:
        results[stamp] = digest


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
    global _memory
    with _lock:
        _memory = {}


def read_many(stamps: Sequence[FileStamp], limit: int | None = None) -> Iterator[bytes | OSError]:
    """Yield the bytes of each file of ``stamps`` in order (or the error that prevented it),
    one file at a time; each file's md5 is remembered as it is read, so hashing it later costs
    no second read."""
    now_ns = time.time_ns()
    cap = int(get_config()["MAX_HASH_BYTES"]) if limit is None else limit
    for stamp in stamps:
        try:
            if stamp.size > cap:
                raise TooLargeToHash(
                    f"not read: {stamp.size:,} bytes is over the {cap:,}-byte limit"
                )
            data = read_recorded(stamp)
        except OSError as exc:
            yield exc
            continue
        finally:
            _count_read(1)
        if not stamp.is_racy(now_ns) and len(data) == stamp.size:
            _remember(stamp, one_copy(hashlib.md5(data, usedforsecurity=False).hexdigest()))
        yield data


_files_read = 0


def files_read() -> int:
    """Return how many files this process has read for their bytes or md5 (for progress)."""
    return _files_read


def _count_read(count: int) -> None:
    global _files_read
    _files_read += count  # a progress figure: a lost update between threads is harmless


caches.register(
    "fingerprints",
    clear_memory_cache,
    fresh_while="the file's stamp (path, size, mtime, inode) is unchanged and was not racy",
)


def _remember(stamp: FileStamp, digest: str) -> dict[FileStamp, str]:
    """Remember ``digest``; return the memory it went into."""
    global _memory
    with _lock:
        if len(_memory) >= _MEMORY_LIMIT:
            _memory = {}
        _memory[stamp] = digest
        return _memory
