"""The hashing processes: a pool of them, one per core, started on first use and kept for
the life of this process (or until ``stop()``), and the batches of files sent to it.

Django-free on purpose, like ``reading``: a hashing process imports this module and those of
the work it is sent (``reading``, ``screening``, the folder walk), never Django.
Threads were measured first: on a tree of small files they gain nothing, since the Python work
around each read holds the GIL, and they lose the difference to lock hand-offs between the
threads. Should the pool break (a process killed, or none can be started here), the caller
does the work itself: a broken pool costs time, never an answer.

The processes are spawned: a fresh Python each, which imports what it is sent. A command that
owns its process may let them be forked instead (``fork_while_alone``), which spares each of
them Python's start and those imports, and the process that tracks a spawned pool's
semaphores. They run at a lower priority than the process that sends them work
(``NICENESS``), and work sent ``meanwhile`` gives way to any sent after it.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, Generic, Literal, NamedTuple, Protocol, TypeVar

from .reading import FileStamp, hash_batch

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
    *,
    meanwhile: bool = False,
) -> Sent[Answer]:
    """Send ``function(*call)`` for each call (a batch of items, then the other arguments) to
    the hashing processes and return the pool and the futures at once; no future for fewer
    than ``PROCESS_MIN_FILES`` items, or where there is no pool (or it broke): the caller then
    does the work itself.

    ``meanwhile``: work for the processes to do while nothing else is asked of them. The next
    work sent without it goes first: what they have not started by then is cancelled (its
    futures say so), and its caller's callers read those files when they need them.
    """
    if sum(len(call[0]) for call in calls) < PROCESS_MIN_FILES:
        return Sent(None, [])
    pool = _process_pool(processes, start=not meanwhile)  # stopped: nobody waits for it
    if pool is None:
        return Sent(None, [])
    futures: list[Future[Answers[Answer]]] = []
    # Held while any work is queued: what is sent meanwhile is queued wholly before other work
    # (and taken back by it) or wholly after it.
    with _meanwhile_lock:
        if not meanwhile:
            _take_back_meanwhile()
        try:
            for call in calls:
                futures.append(pool.submit(function, *call))
        except (BrokenProcessPool, RuntimeError):
            if not meanwhile:  # (the pool's own thread may send meanwhile: it leaves it be)
                _forget_pool(pool)
                return Sent(None, [])
        if meanwhile:
            _meanwhile[:] = [f for f in _meanwhile if not f.done()]
            _meanwhile.extend(futures)
    return Sent(pool, futures)


# The futures of work sent ``meanwhile`` that may not have been taken by a process yet.
_meanwhile: list[Future[Any]] = []
_meanwhile_lock = threading.Lock()


def _take_back_meanwhile() -> None:
    """Cancel the work sent ``meanwhile`` that no process has taken yet (each takes the next
    batch as it starts one: a batch or two are taken ahead of the work), with
    ``_meanwhile_lock`` held: the pool takes its work in the order it was sent, and what is
    sent now is waited for."""
    futures = _meanwhile[:]
    _meanwhile.clear()
    for future in futures:
        future.cancel()  # refused by one taken, which ends as it would have


def give_way() -> None:
    """Cancel the work sent ``meanwhile`` that no process has taken yet: for a command that
    ends, whose process may wait for its hashing processes' queue as it exits."""
    with _meanwhile_lock:
        _take_back_meanwhile()


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
    with _meanwhile_lock:
        _take_back_meanwhile()
        try:
            return Started(pool, pool.submit(function, *args))
        except (BrokenProcessPool, RuntimeError):
            _forget_pool(pool)
            return None


_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_forked = False
_pool_lock = threading.Lock()
# Whether the pool may fork its processes (``fork_while_alone``).
_may_fork = False


def fork_while_alone(allowed: bool) -> None:
    """Let the pool fork its processes, rather than spawn them, where it starts while this
    process runs one thread on Linux: for a command that owns its process
    (``management.process``), never a web worker.

    A fork copies no other thread, and a lock another thread held would stay held in the
    copy; a web worker's forked process would also hold its connections open. macOS forbids a
    fork of a process that may have used its system frameworks; Windows has none. A pool forked
    while it was allowed is not used once it is not (a program that goes on after the
    command): the next call starts a spawned one.
    """
    global _may_fork
    _may_fork = allowed


def threads_running() -> int:
    """Return how many threads this process runs, as the system counts them (those started by
    C libraries included), on Linux."""
    return len(os.listdir("/proc/self/task"))


def _start_method() -> Literal["fork", "spawn"]:
    # (``multiprocessing`` flushes the standard streams before it forks: a forked process
    # does not write what they held a second time.)
    if _may_fork and sys.platform.startswith("linux") and threads_running() == 1:
        return "fork"
    return "spawn"


# How much a hashing process gives way to the process that sent it work: that one's thread
# sends, then takes every answer in order, and a core it waits for holds up the whole check.
# (It gives way as much to any other process at the default priority.)
NICENESS = 10


def _worker() -> None:
    """Start a spawned hashing process: a lower priority (``NICENESS``) where there is one."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # refused (a sandbox): it runs as it is
            os.nice(NICENESS)


def _forked_worker() -> None:
    """Start a forked hashing process as ``_worker`` does. The collector its process turned
    off (``management.process``) runs again for what this process makes (an error's
    traceback is a cycle), and not over the objects it shares with the process, which are
    frozen: a collection would write to each of them, and so copy every page they are on."""
    _worker()
    gc.freeze()
    gc.enable()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _process_pool(
    processes: int | None = None, *, start: bool = True
) -> ProcessPoolExecutor | None:
    """Return a pool of ``processes`` hashing processes (None: one per core; None is returned
    for fewer than two), started on first use (unless not ``start``) and kept for the life of
    this process (spawned, or forked where ``fork_while_alone`` allows it)."""
    global _pool, _pool_size, _pool_forked
    wanted = _cores() if processes is None else processes
    if wanted < 2:
        return None
    with _pool_lock:
        if _pool is not None and (_pool_size != wanted or (_pool_forked and not _may_fork)):
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            if not start:
                return None
            method = _start_method()
            _pool_forked = method == "fork"
            _pool = ProcessPoolExecutor(
                wanted,
                mp_context=multiprocessing.get_context(method),
                initializer=_forked_worker if _pool_forked else _worker,
            )
            _pool_size = wanted
        return _pool


def stop() -> None:
    """Stop the hashing processes and wait for those working to end: for a process that ends
    without Python's own shutdown (``management.process``), which stops the pool first; the
    exit functions of ``multiprocessing`` would otherwise wait for processes waiting for work."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        # Work nobody will take any more (sent ``meanwhile``, or ahead of a check that failed)
        # is not started: only what runs is waited for.
        pool.shutdown(wait=True, cancel_futures=True)


def _forget_pool(pool: ProcessPoolExecutor | None) -> None:
    global _pool
    with _pool_lock:
        if pool is not None and _pool is pool:
            _pool = None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
