"""Content fingerprints: md5 of a file's bytes, computed lazily and cached by file version.

A file version is identified by its :class:`FileStamp` (path, size, mtime, inode). Digests are kept
in process memory and, when ``ASSET_INSPECTOR["CACHE"]`` names a cache alias, in Django's cache
framework, so web workers and CLI runs share the work.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import zlib
from collections.abc import Iterable
from typing import IO, NamedTuple

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
        """Return the stamp of the file at ``location`` now (raises ``OSError``)."""
        st = os.stat(location)
        return cls(location, st.st_size, st.st_mtime_ns, st.st_ino)

    def is_racy(self, now_ns: int | None = None) -> bool:
        """Return True if the file changed too recently for its stamp to be trusted."""
        return (now_ns if now_ns is not None else time.time_ns()) - self.mtime_ns < RACY_NS

    def cache_key(self) -> str:
        raw = f"{self.location}\0{self.size}\0{self.mtime_ns}\0{self.inode}"
        return "inspector:md5:" + hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()


class TooLargeToHash(OSError):
    """The file is larger than ``ASSET_INSPECTOR["MAX_HASH_BYTES"]``."""


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
    cache = shared_cache()
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
    for stamp in missing:
        try:
            digest = _hash_file(stamp, config["MAX_HASH_BYTES"])
        except OSError as exc:
            results[stamp] = exc
            continue
        results[stamp] = digest
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
    with open(stamp.location, "rb") as stream:
        return md5_stream(stream)


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
