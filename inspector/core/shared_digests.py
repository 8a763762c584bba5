"""Digests kept in the shared cache (``ASSET_INSPECTOR["CACHE"]``) from one process to the next.

A CLI run or a web worker reuses the md5 of every file whose stamp (path, size, mtime, inode)
did not change since another process hashed it. A large file is kept under a key of its own;
small files in buckets, one entry per group of folders, so a step costs a round trip per
bucket instead of per file, and an edit invalidates one bucket. A bucket's key names every
file in it: it is found again when the same files are asked together, as the same step of the
next check asks them. The digest of a file changed too recently to trust its stamp
(``FileStamp.is_racy``) is never kept.

Digests live in the space ``md5``; what screening a CSS or JS file found, in a space of its
own per needles it was screened with (``screening_keys``): the file's md5 when it holds no
reference (its text is not needed), "" when it must be read again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple, TypeGuard

from django.core.cache import BaseCache

from .reading import FileStamp
from .screening import Needles, Screened

logger = logging.getLogger(__name__)

# Raised whenever what screening tells of the same bytes and needles changes (``may_refer``):
# answers kept under another number are not asked for again.
_SCREENING = 1

# Folders are spread over this many buckets: few enough to be few round trips, many enough
# that an edit invalidates a small part.
_BUCKETS = 32


class Keys(NamedTuple):
    """The shared cache's keys for the files one step asks for, not yet found there."""

    files: dict[str, FileStamp]  # a large file, one key each
    buckets: dict[str, list[FileStamp]]  # small files, every one of a bucket under one key
    empty_is_answer: bool = False  # "" is an answer in this space (screening: read it again)


def keys_for(stamps: Sequence[FileStamp], shared_from: int, space: str = "md5") -> Keys:
    """Return the keys of ``stamps`` in ``space``: their own for files of ``shared_from`` bytes
    or more, their bucket's for the others."""
    files = {_key(space, [stamp]): stamp for stamp in stamps if stamp.size >= shared_from}
    small = [stamp for stamp in stamps if stamp.size < shared_from]
    return Keys(files, {_key(f"{space}-bucket", b): b for b in _buckets(small)})


def screening_keys(
    stamps: Sequence[FileStamp], needles: Sequence[Needles], shared_from: int
) -> Keys:
    """Return the keys of what screening ``stamps`` found, each file's in the space of the
    needles it is screened with: other needles may tell otherwise."""
    groups: dict[Needles, list[FileStamp]] = {}
    for stamp, looked_for in zip(stamps, needles, strict=True):
        groups.setdefault(looked_for, []).append(stamp)
    keys = Keys({}, {}, empty_is_answer=True)
    for looked_for, members in groups.items():
        raw = f"{_SCREENING}:{looked_for!r}".encode("utf-8", "surrogateescape")
        space = "screen-" + hashlib.sha1(raw).hexdigest()
        part = keys_for(members, shared_from, space)
        keys.files.update(part.files)
        keys.buckets.update(part.buckets)
    return keys


def fetch(cache: BaseCache, keys: Keys) -> Iterator[tuple[FileStamp, str]]:
    """Yield every file the cache holds a digest of, with it; its key leaves ``keys``, which
    keeps the keys of the files still to hash (``store``). A cache that fails tells nothing;
    an entry that holds no digests (written by something else, or damaged) is not used, and
    its files are hashed and kept again."""
    if not keys.files and not keys.buckets:
        return
    try:
        found = cache.get_many([*keys.files, *keys.buckets])
    except Exception:  # a cache server that is down costs this check its reads, not its answer
        logger.warning("could not read digests from the shared cache", exc_info=True)
        return
    unusable = 0
    for key, value in found.items():
        stamp = keys.files.get(key)
        if stamp is not None:
            if _is_answer(value, keys.empty_is_answer):
                del keys.files[key]
                yield stamp, value
            else:
                unusable += 1
            continue
        members = keys.buckets[key]
        if (
            isinstance(value, list)
            and len(value) == len(members)
            and all(_is_answer(v, keys.empty_is_answer) for v in value)
        ):
            del keys.buckets[key]
            yield from zip(members, value, strict=True)
        else:
            unusable += 1
    if unusable:
        logger.warning(
            "%d entries of the shared cache held no digests: not used, their files read again",
            unusable,
        )


def _is_answer(value: object, empty_is_answer: bool) -> TypeGuard[str]:
    """Return True for a string of an md5's 32 characters, or "" where ``empty_is_answer``:
    what a damaged entry or another program's value is not, whatever else it holds."""
    return isinstance(value, str) and (len(value) == 32 or (empty_is_answer and not value))


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
    if not computed:
        return
    try:
        cache.set_many(computed, timeout=timeout)
    except Exception:  # a cache server that is down costs the next process its reads
        logger.warning("could not keep digests in the shared cache", exc_info=True)


def screened(
    stamps: Sequence[FileStamp], clean: dict[FileStamp, str], found: Iterator[Screened | OSError]
) -> Iterator[Screened | OSError]:
    """Yield each file's screening answer in order: what the cache told of ``clean`` files
    (their md5, no reference), and ``found`` for the ones read."""
    for stamp in stamps:
        md5 = clean.get(stamp)
        yield Screened(md5, True, None) if md5 is not None else next(found)


def keeping_screened(
    cache: BaseCache,
    keys: Keys,
    stamps: Sequence[FileStamp],
    told: Iterator[Screened | OSError],
    remembered: Callable[[FileStamp], str | None],
    now_ns: int,
    timeout: float | None,
) -> Iterator[Screened | OSError]:
    """Yield every answer; once all are taken, keep what each told under ``keys``: the md5 of
    a file that holds no reference (as ``remembered``, the one string this process holds), ""
    for one that must be read again (it may refer, or is not UTF-8)."""
    must_read: set[FileStamp] = set()
    for stamp, answer in zip(stamps, told, strict=True):
        if not isinstance(answer, OSError) and (
            answer.text is not None or answer.undecodable is not None
        ):
            must_read.add(stamp)
        yield answer
    store(cache, keys, lambda s: "" if s in must_read else remembered(s), now_ns, timeout)


def _buckets(stamps: list[FileStamp]) -> list[list[FileStamp]]:
    """Group stamps by a hash of their folder, each group sorted."""
    groups: dict[int, list[FileStamp]] = {}
    for stamp in stamps:
        folder = os.path.dirname(stamp.location).encode("utf-8", "surrogateescape")
        groups.setdefault(zlib.crc32(folder) % _BUCKETS, []).append(stamp)
    return [sorted(members) for members in groups.values()]


def _key(space: str, stamps: list[FileStamp]) -> str:
    """Return the key of ``stamps`` (one file, or a bucket) in ``space``: every stamp in it."""
    raw = "\0".join(f"{s.location}\0{s.size}\0{s.mtime_ns}\0{s.inode}" for s in stamps)
    return f"inspector:{space}:" + hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()
