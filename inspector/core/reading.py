"""Reading the bytes of listed files, and hashing many of them on every core.

Django-free on purpose (like whitenoise's core): the processes that hash files import this
module alone. Every read of a listed local file goes through ``read_recorded``: it opens only a
regular file (never a FIFO or a device, which would block or never end) and only the very file
that was listed (same inode), so a file swapped for a symlink since the listing is refused, not
followed.

Many files are hashed by a pool of processes, one per core (``digests``). Threads were measured
first: on a tree of small files they gain nothing, since the Python work around each read holds
the GIL, and they lose the difference to lock hand-offs between the threads.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat
import threading
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import IO, Any, Generic, NamedTuple, Protocol, TypeVar

CHUNK_BYTES = 1024 * 1024
# A file modified less than this long before it was stat'ed could be modified again within the
# same filesystem timestamp tick without its stamp changing ("racy git"); its digest is not cached.
RACY_NS = 2_000_000_000
# Fewer files than this are hashed in this process: starting the pool would cost more.
PROCESS_MIN_FILES = 2_000
# Files per task sent to a hashing process: enough to pay for the task's round trip.
BATCH_FILES = 256

Answer = TypeVar("Answer")
Answer_co = TypeVar("Answer_co", covariant=True)


class Answers(Protocol[Answer_co]):
    """A batch's answers, one per item, in order (a list, or something more compact)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Answer_co]: ...


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

    def cache_key(self) -> str:
        raw = f"{self.location}\0{self.size}\0{self.mtime_ns}\0{self.inode}"
        return "inspector:md5:" + hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()


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
    """The file at the listed location is not the one the listing recorded (another inode):
    replaced, or swapped for a symlink, since. Not read: a listing is what allows a read."""


# O_NONBLOCK: should a FIFO replace a listed file between its stat and its open, the open
# returns at once instead of waiting for a writer; the fstat check then refuses it.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_recorded(stamp: FileStamp, limit: int | None = None) -> bytes:
    """Return the bytes of the very file ``stamp`` recorded (at most ``limit + 1`` of them).

    Raises ``NotRegularFile`` or ``ChangedSinceListed`` instead of reading anything else.
    """
    fd, size = _open_recorded(stamp)
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


def _open_recorded(stamp: FileStamp) -> tuple[int, int]:
    """Open the very file ``stamp`` recorded; return its descriptor and its size now."""
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
    return fd, st.st_size


def md5_stream(stream: IO[bytes]) -> str:
    """Return the md5 hex digest of everything readable from ``stream``."""
    digest = hashlib.md5(usedforsecurity=False)
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


def hash_file(stamp: FileStamp, limit: int) -> str:
    """Return the md5 of the very file ``stamp`` recorded; ``TooLargeToHash`` over ``limit``."""
    if stamp.size > limit:
        raise TooLargeToHash(
            f"not compared: {stamp.size:,} bytes is over the {limit:,}-byte MAX_HASH_BYTES limit"
        )
    if stamp.size <= CHUNK_BYTES:
        return hashlib.md5(read_recorded(stamp), usedforsecurity=False).hexdigest()
    fd, _ = _open_recorded(stamp)
    with os.fdopen(fd, "rb") as stream:
        return md5_stream(stream)


def hash_batch(stamps: Sequence[FileStamp], limit: int) -> list[str | OSError]:
    """Return the md5 of each stamp, or the ``OSError`` that prevented reading it."""
    out: list[str | OSError] = []
    for stamp in stamps:
        try:
            out.append(hash_file(stamp, limit))
        except OSError as exc:
            out.append(exc)
    return out


def digests(
    stamps: Sequence[FileStamp],
    limit: int,
    done: Callable[[int], None],
    processes: int | None = None,
) -> Iterator[str | OSError]:
    """Yield the md5 of each stamp in order (or the ``OSError`` that prevented reading it),
    calling ``done(n)`` as each batch of ``n`` files is read (a progress figure).

    Many files go to a pool of ``processes`` processes (None: one per core; 1: none). Should
    it break (a process killed, or none can be started here), the files it did not answer for
    are hashed in this process.
    """
    return in_batches(hash_batch, stamps, (limit,), done, processes)


class Sent(NamedTuple, Generic[Answer]):
    """Batches sent to the hashing processes: the pool, and one future per batch."""

    pool: ProcessPoolExecutor | None
    futures: list[Future[Answers[Answer]]]


def in_batches(
    function: Callable[..., Answers[Answer]],
    items: Sequence[FileStamp],
    args: tuple[object, ...],
    done: Callable[[int], None],
    processes: int | None = None,
) -> Iterator[Answer]:
    """Return ``function(batch, *args)``'s answers for every batch of ``items``, in order: in
    the pool of hashing processes for many items (``digests``), in this process otherwise.

    An item of ``args`` that is an ``Aligned`` list goes with the items: each batch is given
    its own slice of it. The batches are sent at once, before the first answer is asked for:
    what a caller sends next is read after them.
    """
    calls = [(batch, *_slices(args, start, len(batch))) for start, batch in batches_of(items)]
    return _answers(function, calls, send(function, calls, processes), done)


class Aligned(list[Any]):
    """A list with one entry per item of ``in_batches``: each batch gets its own slice."""


def _slices(args: tuple[object, ...], start: int, count: int) -> tuple[object, ...]:
    return tuple(a[start : start + count] if isinstance(a, Aligned) else a for a in args)


def send(
    function: Callable[..., Answers[Answer]],
    calls: Sequence[tuple[Any, ...]],
    processes: int | None = None,
) -> Sent[Answer]:
    """Send ``function(*call)`` for each call (a batch of items, then the other arguments) to
    the hashing processes and return the pool and the futures at once; no future for fewer
    than ``PROCESS_MIN_FILES`` items, or where there is no pool (or it broke): the caller then
    does the work itself."""
    if sum(len(call[0]) for call in calls) < PROCESS_MIN_FILES:
        return Sent(None, [])
    pool = _process_pool(processes)
    if pool is None:
        return Sent(None, [])
    try:
        return Sent(pool, [pool.submit(function, *call) for call in calls])
    except (BrokenProcessPool, RuntimeError):
        _forget_pool(pool)
        return Sent(None, [])


def batches_of(stamps: Sequence[FileStamp], parts: int | None = None) -> list[tuple[int, Stamps]]:
    """Return ``stamps`` cut into the batches a hashing process is sent one at a time, each
    with where it starts: of ``BATCH_FILES`` stamps, or into at most ``parts`` larger ones."""
    size = BATCH_FILES if parts is None else max(BATCH_FILES, -(-len(stamps) // parts))
    return [(start, Stamps(stamps[start : start + size])) for start in range(0, len(stamps), size)]


class Stamps(list[FileStamp]):
    """A batch of stamps: a list here, sent to a hashing process as a few lists and arrays
    (roots, names, sizes, mtimes, inodes). Pickled one by one, each named tuple would cost a
    Python call here and another there, in a thread that shares this process's GIL."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Callable[..., list[FileStamp]], tuple[Any, ...]]:
        return _unpacked, (
            [s.root for s in self],  # one string per folder: pickle sends each once
            [s.name for s in self],
            array("q", [s.size for s in self]),
            array("q", [s.mtime_ns for s in self]),  # before 1970: negative
            array("Q", [s.inode for s in self]),
        )


def _unpacked(
    roots: list[str], names: list[str], sizes: Any, mtimes: Any, inodes: Any
) -> list[FileStamp]:
    fields = zip(roots, names, sizes, mtimes, inodes, strict=True)
    return list(map(partial(tuple.__new__, FileStamp), fields))


def _answers(
    function: Callable[..., Answers[Answer]],
    calls: list[tuple[Any, ...]],
    sent: Sent[Answer],
    done: Callable[[int], None],
) -> Iterator[Answer]:
    pool = sent.pool
    # Each answer is held here only while it is yielded.
    futures: list[Future[Answers[Answer]] | None] = list(sent.futures)
    del sent
    for index, call in enumerate(calls):
        result = None
        future = futures[index] if index < len(futures) else None
        if future is not None:
            futures[index] = None
            try:
                result = future.result()
            except BrokenProcessPool:
                _forget_pool(pool)
        if result is None:
            result = function(*call)
        done(len(result))
        yield from result


def in_pool(
    function: Callable[..., Answer], args: tuple[Any, ...], processes: int | None = None
) -> Answer | None:
    """Return ``function(*args)`` computed in one of the hashing processes, waiting for it
    without holding the GIL; None where there is no pool (one core, ``processes`` 1) or it
    broke: the caller then does the work itself, the way it would have."""
    started = start(function, args, processes)
    return None if started is None else started.outcome()


class Started(NamedTuple, Generic[Answer]):
    """One call ``start``ed in a hashing process: its pool and its future."""

    pool: ProcessPoolExecutor
    future: Future[Answer]

    def outcome(self) -> Answer | None:
        """Wait for the call's answer; None if its pool broke (or it was cancelled): the
        caller then does the work itself."""
        try:
            return self.future.result()
        except BrokenProcessPool:
            _forget_pool(self.pool)
            return None
        except CancelledError:
            return None


def start(
    function: Callable[..., Answer], args: tuple[Any, ...], processes: int | None = None
) -> Started[Answer] | None:
    """Start ``function(*args)`` in one of the hashing processes and return at once; None
    where there is no pool (one core, ``processes`` 1) or it broke."""
    pool = _process_pool(processes)
    if pool is None:
        return None
    try:
        return Started(pool, pool.submit(function, *args))
    except (BrokenProcessPool, RuntimeError):
        _forget_pool(pool)
        return None


_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _process_pool(processes: int | None = None) -> ProcessPoolExecutor | None:
    """Return a pool of ``processes`` hashing processes (None: one per core; None is returned
    for fewer than two), started on first use and kept for the life of this process.

    Spawned, not forked: a web worker has threads, and a fork would copy their locks in
    whatever state they are.
    """
    global _pool, _pool_size
    wanted = _cores() if processes is None else processes
    if wanted < 2:
        return None
    with _pool_lock:
        if _pool is not None and _pool_size != wanted:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            context = multiprocessing.get_context("spawn")
            _pool, _pool_size = ProcessPoolExecutor(wanted, mp_context=context), wanted
        return _pool


def _forget_pool(pool: ProcessPoolExecutor | None) -> None:
    global _pool
    with _pool_lock:
        if pool is not None and _pool is pool:
            _pool = None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
