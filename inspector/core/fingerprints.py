"""Content fingerprints: md5 of a file's bytes, computed lazily and cached by file version.

A file version is identified by its :class:`FileStamp` (path, size, mtime, inode). Digests are kept
in process memory and, when ``ASSET_INSPECTOR["CACHE"]`` names a cache alias, in Django's cache
framework, so web workers and CLI runs share the work. The bytes themselves are read by
``core.reading`` (only the very files a listing recorded), many of them on every core by
``core.pool``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from functools import partial
from operator import attrgetter
from typing import Any, cast

from ..conf import cross_process_cache, get_config
from . import caches, pool, shared_digests
from .digests import NO_DIGESTS, Digests
from .pool import batches_of, digests, send
from .reading import (
    CHUNK_BYTES,
    RACY_NS,
    ChangedSinceListed,
    FileStamp,
    NotRegularFile,
    TooLargeToHash,
    hash_batch,
    read_recorded,
    read_within,
    same_file_now,
)
from .screening import Needles, Screened, screen_many
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
    "hash_ahead",
    "hash_meanwhile",
    "keep_sent_ahead",
    "md5",
    "md5_many",
    "peek",
    "peeker",
    "read_many",
    "read_recorded",
    "same_file_now",
    "screen",
]

_MEMORY_LIMIT = 500_000


# Emptied by replacing it, never in place: a ``Digests`` answer keeps reading the memory it
# was answered from.
_memory: dict[FileStamp, str] = {}
_lock = threading.Lock()


def peek(stamp: FileStamp) -> str | None:
    """Return the digest of ``stamp`` if this process already knows it, without any I/O."""
    return _memory.get(stamp)


def peeker() -> Callable[[FileStamp], str | None]:
    """Return ``peek`` for a loop over many stamps: the lookup of the memory as it is now, one C
    call a stamp. It answers None for what it does not know (not read yet, still on its way,
    racy, unreadable, or remembered after the memory was emptied): ask ``md5_many`` for those."""
    return _memory.get


def md5_many(stamps: Iterable[FileStamp]) -> Digests:
    """Return the digest of every stamp, or the ``OSError`` that prevented reading it.

    Memory first, then one ``get_many`` on the shared cache, then the bytes themselves.
    """
    _keep_settled()
    memory = _memory
    results: dict[FileStamp, str | OSError] = {}
    # Only the stamps still to find are gathered (once each).
    unknown: dict[FileStamp, None] = {}
    for stamp in stamps:
        if stamp not in memory:
            unknown[stamp] = None
    # A few files are read at once rather than after the thousands this thread sent ahead.
    if len(unknown) >= pool.PROCESS_MIN_FILES:
        _wait_for_ahead(memory, unknown, results)
    if not unknown:
        return Digests(memory, results)
    missing = list(unknown)
    del unknown

    config = get_config()
    cache = cross_process_cache()
    keys = None
    if cache is not None:
        keys = shared_digests.keys_for(missing, config["SHARED_CACHE_MIN_BYTES"])
        for stamp, known in shared_digests.fetch(cache, keys):
            _keep(memory, results, stamp, one_copy(known))
        missing = [stamp for stamp in missing if stamp not in memory and stamp not in results]

    now_ns = time.time_ns()
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
    answer = Digests(memory, results)
    if cache is not None and keys is not None:
        shared_digests.store(cache, keys, answer.get, now_ns, config["CACHE_TIMEOUT"])
    return answer


class _Ahead:
    """Files sent to be hashed before they are asked for (``hash_ahead``, ``hash_meanwhile``).

    Their digests are remembered as each batch comes back, in the pool's own thread; the job is
    settled once every batch has been. What the shared cache did not know is kept there by the
    thread that sent them (``keep``): a cache instance is its own thread's (Django's caches).
    """

    __slots__ = ("_keep_shared", "_left", "_lock", "settled")

    def __init__(
        self, batches: int, keep_shared: Callable[[Callable[[FileStamp], object]], None] | None
    ) -> None:
        self._left = batches
        self._keep_shared = keep_shared
        self._lock = threading.Lock()
        self.settled = threading.Event()

    def arrived(
        self, batch: Sequence[FileStamp], now_ns: int, future: Future[list[str | OSError]]
    ) -> None:
        try:
            answers = future.result()
        except Exception:  # a broken pool or a cancelled batch: the asker reads the files itself
            answers = []
        _remember_batch(batch, answers, now_ns - RACY_NS)
        _count_read(len(answers))
        with self._lock:
            self._left -= 1
            if self._left == 0:
                self.settled.set()

    def keep(self) -> None:
        """Keep the digests of a settled job in the shared cache, once."""
        keep_shared, self._keep_shared = self._keep_shared, None
        if keep_shared is not None:
            keep_shared(Digests(_memory, {}).get)


# A job is cut into this many batches at most: the pool's results come back through a thread
# of this process, which needs the GIL while this thread works; few large batches need it least.
_AHEAD_PARTS = 32

# Per thread: a check runs in one thread, and waits only for what it sent itself (a request
# asking for one file meanwhile does not wait for a check's thousands).
_sent_ahead = threading.local()


def hash_ahead(stamps: Iterable[FileStamp]) -> None:
    """Start hashing ``stamps`` in the hashing processes, and return at once.

    Their digests are remembered as they come back, while this thread does other work; an
    ``md5_many`` of this thread first waits for what it sent ahead, in the order it was sent,
    until none of the files it asks for is still on its way. Worth it only for many files: for
    fewer than ``PROCESS_MIN_FILES`` not yet known, or with no pool, nothing is sent, and the
    files are read when asked for.
    """
    memory = _memory
    missing = [s for s in stamps if s not in memory]
    if len(missing) < pool.PROCESS_MIN_FILES:
        return  # read when asked for, through the shared cache
    config = get_config()
    now_ns = time.time_ns()
    cache = cross_process_cache()
    keep_shared = None
    if cache is not None:
        keys = shared_digests.keys_for(missing, config["SHARED_CACHE_MIN_BYTES"])
        now = _remember_all((s, one_copy(d)) for s, d in shared_digests.fetch(cache, keys))
        missing = [s for s in missing if s not in now]
        if not missing:
            return
        keep_shared = partial(
            shared_digests.store, cache, keys, now_ns=now_ns, timeout=config["CACHE_TIMEOUT"]
        )
    job = _send(missing, config, parts=_AHEAD_PARTS, keep_shared=keep_shared)
    if job is not None:
        _keep_settled()
        _sent_ahead.jobs = [*_sent_ahead.jobs, job]


def hash_meanwhile(stamps: Iterable[FileStamp]) -> None:
    """Start hashing ``stamps`` in the hashing processes while they have nothing else to do,
    and return at once: files a check will likely ask for, on cores that would wait otherwise.
    Their digests are remembered as they come back; the work sent next goes first, and what
    was not started then is read when asked for (``pool.send``'s ``meanwhile``). Nothing goes
    to the shared cache: where there is one, it is read first."""
    memory = _memory
    _send([s for s in stamps if s not in memory], get_config(), meanwhile=True)


def _send(
    missing: Sequence[FileStamp],
    config: dict[str, Any],
    *,
    parts: int | None = None,
    meanwhile: bool = False,
    keep_shared: Callable[[Callable[[FileStamp], object]], None] | None = None,
) -> _Ahead | None:
    """Send ``missing`` to be hashed (in at most ``parts`` batches); None if nothing was."""
    now_ns = time.time_ns()
    limit = int(config["MAX_HASH_BYTES"])
    batches = [batch for _, batch in batches_of(missing, parts=parts)]
    calls = [(batch, limit) for batch in batches]
    sent = send(hash_batch, calls, config["HASH_PROCESSES"], meanwhile=meanwhile)
    if not sent.futures:
        return None
    job = _Ahead(len(batches), keep_shared)
    for batch, future in zip(batches, sent.futures, strict=True):
        future.add_done_callback(partial(job.arrived, batch, now_ns))
    return job


def _wait_for_ahead(
    memory: dict[FileStamp, str],
    unknown: dict[FileStamp, None],
    results: dict[FileStamp, str | OSError],
) -> None:
    """Wait for what this thread sent ahead, job after job, until no stamp of ``unknown`` can
    still be on its way; take out of ``unknown`` every stamp whose digest came."""
    jobs: list[_Ahead] = getattr(_sent_ahead, "jobs", [])
    for job in jobs:
        job.settled.wait()
        now = _memory
        for stamp in list(unknown):
            found = now.get(stamp)
            if found is not None:
                del unknown[stamp]
                if now is not memory:  # the memory was emptied since: held in the answer
                    results[stamp] = found
        if not unknown:
            break
    _keep_settled()


def _keep_settled() -> None:
    """Keep in the shared cache what this thread's settled jobs hashed; forget those jobs."""
    jobs: list[_Ahead] = getattr(_sent_ahead, "jobs", [])
    settled = [job.settled.is_set() for job in jobs]  # once: a job may settle meanwhile
    _sent_ahead.jobs = [job for job, done in zip(jobs, settled, strict=True) if not done]
    for job, done in zip(jobs, settled, strict=True):
        if done:
            job.keep()


def keep_sent_ahead() -> None:
    """Wait for everything this thread sent ahead and keep it in the shared cache: the end of
    a check, which asked for all of it (what it never asked for is kept all the same)."""
    jobs: list[_Ahead] = getattr(_sent_ahead, "jobs", [])
    _sent_ahead.jobs = []
    for job in jobs:
        job.settled.wait()
        job.keep()


def _keep(
    memory: dict[FileStamp, str],
    results: dict[FileStamp, str | OSError],
    stamp: FileStamp,
    digest: str,
) -> None:
    """Remember ``digest``; hold it in ``results`` too if the memory was emptied since."""
    if _remember(stamp, digest) is not memory:
        results[stamp] = digest


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
            data = read_within(stamp, cap)
        except OSError as exc:
            yield exc
            continue
        finally:
            _count_read(1)
        if not stamp.is_racy(now_ns) and len(data) == stamp.size:
            _remember(stamp, one_copy(hashlib.md5(data, usedforsecurity=False).hexdigest()))
        yield data


def screen(stamps: Sequence[FileStamp], needles: Sequence[Needles]) -> Iterator[Screened | OSError]:
    """Return what each CSS or JS file tells (``screening``), in order, read on every core.

    The files are sent to be read at once, but for those the shared cache says hold no
    reference (their md5 is all a check needs of them). Each file's md5 is remembered as its
    answer is taken, so hashing it later costs no second read; once every answer is taken,
    what the shared cache did not know is kept there.
    """
    now_ns = time.time_ns()
    config = get_config()
    cache = cross_process_cache()
    clean: dict[FileStamp, str] = {}
    keys = None
    if cache is not None and stamps:
        keys = shared_digests.screening_keys(stamps, needles, config["SHARED_CACHE_MIN_BYTES"])
        clean = {stamp: md5 for stamp, md5 in shared_digests.fetch(cache, keys) if md5}
    to_read, looked_for = stamps, needles
    if clean:
        read = [index for index, stamp in enumerate(stamps) if stamp not in clean]
        to_read, looked_for = [stamps[i] for i in read], [needles[i] for i in read]
    found = screen_many(
        to_read, looked_for, int(config["MAX_HASH_BYTES"]), _count_read, config["HASH_PROCESSES"]
    )
    answers = shared_digests.screened(stamps, clean, found) if clean else found
    told = _remembering(stamps, answers, now_ns)
    if cache is None or keys is None:
        return told
    timeout = config["CACHE_TIMEOUT"]
    return shared_digests.keeping_screened(cache, keys, stamps, told, peek, now_ns, timeout)


def _remembering(
    stamps: Sequence[FileStamp], found: Iterator[Screened | OSError], now_ns: int
) -> Iterator[Screened | OSError]:
    for stamp, screened in zip(stamps, found, strict=True):
        if not isinstance(screened, OSError) and not stamp.is_racy(now_ns) and screened.whole:
            _remember(stamp, one_copy(screened.md5))
        yield screened


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


def _remember_all(found: Iterable[tuple[FileStamp, str]]) -> dict[FileStamp, str]:
    """Remember many digests under one hold of the lock; return the memory they went into.

    The memory is emptied when full before they go in, not while: it may pass its limit by
    one batch."""
    global _memory
    with _lock:
        if len(_memory) >= _MEMORY_LIMIT:
            _memory = {}
        _memory.update(found)
        return _memory


_MTIME = attrgetter("mtime_ns")


def _remember_batch(
    stamps: Sequence[FileStamp], answers: Sequence[str | OSError], settled_ns: int
) -> None:
    """Remember what a batch found. An error is not remembered (the asker meets it again, and
    says so), nor the digest of a file changed after ``settled_ns`` (``FileStamp.is_racy``).
    Most batches hold neither: theirs go in through C loops, not one Python step per file."""
    if (
        len(answers) == len(stamps)
        and set(map(type, answers)) == {str}
        and max(map(_MTIME, stamps), default=0) <= settled_ns
    ):
        digests = cast("Sequence[str]", answers)  # every one a str: the line above
        _remember_all(zip(stamps, map(one_copy, digests), strict=True))
        return
    _remember_all(
        (stamp, one_copy(digest))
        for stamp, digest in zip(stamps, answers, strict=False)
        if stamp.mtime_ns <= settled_ns and isinstance(digest, str)
    )


def _remember(stamp: FileStamp, digest: str) -> dict[FileStamp, str]:
    """Remember ``digest``; return the memory it went into."""
    return _remember_all(((stamp, digest),))
