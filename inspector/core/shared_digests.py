"""Digests kept in the shared cache (``ASSET_INSPECTOR["CACHE"]``) from one process to the next.

A CLI run or a web worker reuses the md5 of every file whose stamp (path, size, mtime, inode)
did not change since another process hashed it. A large file is kept under a key of its own;
small files in buckets, one entry per group of folders, so a step costs a round trip per
bucket instead of per file, and an edit invalidates one bucket. A bucket's key names every
file in it: it is found again when the same files are asked together, as the same step of the
next check asks them. The digest of a file changed too recently to trust its stamp
(``FileStamp.is_racy``) is never kept.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from django.core.cache import BaseCache

from .reading import FileStamp

# Folders are spread over this many buckets: few enough to be few round trips, many enough
# that an edit invalidates a small part.
_BUCKETS = 64


class Keys(NamedTuple):
    """The shared cache's keys for the files one step asks for, not yet found there."""

    files: dict[str, FileStamp]  # a large file, one key each
    buckets: dict[str, list[FileStamp]]  # small files, every one of a bucket under one key


def keys_for(stamps: Sequence[FileStamp], shared_from: int) -> Keys:
    """Return the keys of ``stamps``: their own for files of ``shared_from`` bytes or more,
    their bucket's for the others."""
    files = {stamp.cache_key(): stamp for stamp in stamps if stamp.size >= shared_from}
    return Keys(files, _buckets([stamp for stamp in stamps if stamp.size < shared_from]))


def fetch(cache: BaseCache, keys: Keys) -> Iterator[tuple[FileStamp, str]]:
    """Yield every file the cache holds a digest of, with it; its key leaves ``keys``, which
    keeps the keys of the files still to hash (``store``)."""
    found = cache.get_many([*keys.files, *keys.buckets])
    for key, value in found.items():
        stamp = keys.files.pop(key, None)
        if stamp is not None:
            yield stamp, value
            continue
        yield from zip(keys.buckets.pop(key), value, strict=True)


def store(
    cache: BaseCache,
    keys: Keys,
    digest_of: Callable[[FileStamp], object],
    now_ns: int,
    timeout: float | None,
) -> None:
    """Keep the digest of each file of ``keys`` that ``digest_of`` knows (a str): each large
    file's own, and each bucket whose every file has one. None of a racy file."""
    computed: dict[str, object] = {}
    for key, stamp in keys.files.items():
        digest = digest_of(stamp)
        if isinstance(digest, str) and not stamp.is_racy(now_ns):
            computed[key] = digest
    for key, members in keys.buckets.items():
        bucket = [digest_of(stamp) for stamp in members]
        if all(isinstance(d, str) for d in bucket) and not any(
            stamp.is_racy(now_ns) for stamp in members
        ):
            computed[key] = bucket
    if computed:
        cache.set_many(computed, timeout=timeout)


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
