"""Hashing many listed files on every core: the same digests, and the same refusals, as
reading them here; a pool that breaks costs nothing but time."""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage

from inspector.core import pool
from inspector.core.pool import digests
from inspector.core.reading import (
    ChangedSinceListed,
    FileStamp,
    NotRegularFile,
    TooLargeToHash,
)
from inspector.core.storage.listing import take_snapshot
from inspector.core.treewalk import fingerprint
from tests.support.pool import kill_the_hashing_processes, slowly


def listed(tmp_path: Path, count: int) -> list[FileStamp]:
    stamps = []
    for number in range(count):
        path = tmp_path / f"f {number} ‹é›.css"
        path.write_bytes(f"body{{order:{number}}}".encode() * (number + 1))
        stamps.append(FileStamp.of(str(path)))
    return stamps


def ignore(count: int) -> None:
    """No progress wanted."""


def md5_of(path: str) -> str:
    return hashlib.md5(Path(path).read_bytes(), usedforsecurity=False).hexdigest()


@pytest.mark.usefixtures("through_the_pool")
def test_the_pool_gives_every_digest_in_order(tmp_path: Path) -> None:
    stamps = listed(tmp_path, 20)
    counted: list[int] = []
    found = list(digests(stamps, limit=1 << 20, done=counted.append))
    assert found == [md5_of(stamp.location) for stamp in stamps]
    assert sum(counted) == 20, "progress counts every file"


@pytest.mark.usefixtures("through_the_pool")
def test_a_local_storage_listing_is_hashed_by_the_pool_as_here(tmp_path: Path) -> None:
    written = {}
    for number in range(12):
        name = f"css/{number % 3}/f {number} ‹é› '<script>'.css"
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"a{}" * (number + 1))
        written[name] = str(tmp_path / name)
    snapshot = take_snapshot(FileSystemStorage(location=str(tmp_path)))
    files = [snapshot.files[name] for name in written]
    assert [f.stamp.location if f.stamp else None for f in files] == list(written.values())
    found = list(digests([f.stamp for f in files if f.stamp], limit=1 << 20, done=ignore))
    assert found == [md5_of(location) for location in written.values()]


@pytest.mark.usefixtures("through_the_pool")
def test_the_pool_refuses_what_this_process_refuses(tmp_path: Path) -> None:
    fine, swapped, piped, gone, big = listed(tmp_path, 5)
    # Swapped for a symlink to a secret since the listing: another inode, never read.
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    os.unlink(swapped.location)
    os.symlink(secret, swapped.location)
    # Replaced by a FIFO: refused at once, no hang.
    os.unlink(piped.location)
    os.mkfifo(piped.location)
    os.unlink(gone.location)
    found = list(digests([fine, swapped, piped, gone, big], limit=big.size - 1, done=ignore))
    assert found[0] == md5_of(fine.location)
    assert isinstance(found[1], ChangedSinceListed)
    assert isinstance(found[2], NotRegularFile) and "FIFO" in str(found[2])
    assert str(found[2]).startswith(piped.location), "the message names the file"
    assert isinstance(found[3], FileNotFoundError)
    assert isinstance(found[4], TooLargeToHash)


@pytest.mark.usefixtures("through_the_pool")
def test_a_broken_pool_is_replaced_by_reading_here(tmp_path: Path) -> None:
    stamps = listed(tmp_path, 9)
    assert list(digests(stamps, limit=1 << 20, done=ignore)) == [md5_of(s.location) for s in stamps]
    running = pool._process_pool()
    assert running is not None
    kill_the_hashing_processes(running)
    assert list(digests(stamps, limit=1 << 20, done=ignore)) == [md5_of(s.location) for s in stamps]
    assert pool._process_pool() is not running, "the next call starts a new pool"


@pytest.mark.usefixtures("through_the_pool")
def test_a_walk_elsewhere_gives_what_it_gives_here_and_none_once_the_pool_broke(
    tmp_path: Path,
) -> None:
    listed(tmp_path, 3)
    for path in tmp_path.iterdir():
        os.utime(path, (1_000_000, 1_000_000))  # long ago: the digest proves something
    here = fingerprint([str(tmp_path)])
    assert here is not None
    assert pool.in_pool(fingerprint, ([str(tmp_path)],)) == here
    running = pool._process_pool()
    assert running is not None
    kill_the_hashing_processes(running)
    assert pool.in_pool(fingerprint, ([str(tmp_path)],)) is None, "the caller checks itself"
    assert pool.in_pool(fingerprint, ([str(tmp_path)],)) == here, "a new pool next time"


def test_a_batch_crosses_to_a_hashing_process_as_the_same_stamps() -> None:
    stamps = [
        FileStamp("/srv/static/", "css/a b ‹é›.css", 12, 1_700_000_000_123_456_789, 7),
        FileStamp("/srv/static/", os.fsdecode(b"not utf-8 \xff.js"), 0, -86_400 * 10**9, 2**64 - 1),
        FileStamp("", "/elsewhere/x.css", 2**40, 0, 1),
    ]
    batches = pool.batches_of(stamps)
    assert [start for start, _ in batches] == [0]
    arrived = pickle.loads(pickle.dumps(batches[0][1], protocol=pickle.HIGHEST_PROTOCOL))
    assert arrived == stamps and all(type(s) is FileStamp for s in arrived)
    assert [s.location for s in arrived] == [s.location for s in stamps]


# A process that owns itself (one thread) lets its pool fork: the hashing processes have what
# was set here before they started, and hash as spawned ones do.
FORKED = """
import gc, hashlib, sys
from inspector.core import pool
from inspector.core.reading import FileStamp
from tests.support import pool as support
gc.disable()  # as a command that owns its process turns it off
support.MARK = "set before the pool started"
pool.PROCESS_MIN_FILES = 1
pool.fork_while_alone(ALLOWED)
print("printed before the pool started")  # held in the buffer: a pipe is not a terminal
print("sees:", pool.in_pool(support.marked, (), 2))
print("collects its cycles:", pool.in_pool(gc.isenabled, (), 2))
stamps = [FileStamp.of(p) for p in sys.argv[1:]]
found = list(pool.digests(stamps, 1 << 20, lambda n: None, 2))
read = [hashlib.md5(open(s.location, "rb").read()).hexdigest() for s in stamps]
print("same digests:", found == read)
pool.fork_while_alone(False)  # the command is over, the program goes on
print("then sees:", pool.in_pool(support.marked, (), 2))
pool.stop()
"""


@pytest.mark.parametrize("allowed", [True, False], ids=["owned", "not-owned"])
def test_a_process_that_owns_itself_forks_its_hashing_processes(
    tmp_path: Path, allowed: bool
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("forks on Linux")
    files = [s.location for s in listed(tmp_path, 7)]
    script = f"ALLOWED = {allowed}\n{FORKED}"
    done = subprocess.run(
        [sys.executable, "-c", script, *files],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    seen = "set before the pool started" if allowed else "as imported"
    assert done.stdout.splitlines() == [
        "printed before the pool started",  # once, not again by each forked process
        f"sees: {seen}",
        "collects its cycles: True",
        "same digests: True",
        "then sees: as imported",  # a pool forked for the command is not used after it
    ]


@pytest.fixture
def forking_allowed() -> Iterator[None]:
    pool.fork_while_alone(True)
    yield
    pool.fork_while_alone(False)


@pytest.mark.usefixtures("forking_allowed")
def test_the_pool_is_spawned_while_another_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform != "linux":
        pytest.skip("counts threads in /proc")
    monkeypatch.setattr(pool, "threads_running", lambda: 1)
    assert pool._start_method() == "fork", "the case the next lines change"
    monkeypatch.undo()
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert pool.threads_running() >= 2
        assert pool._start_method() == "spawn"
    finally:
        release.set()
        other.join()


def test_the_pool_is_spawned_unless_a_command_owns_its_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pool, "threads_running", lambda: 1)
    assert pool._start_method() == "spawn"


@pytest.mark.usefixtures("through_the_pool")
def test_work_sent_meanwhile_gives_way_to_work_sent_after_it() -> None:
    meanwhile = pool.send(slowly, [([n], 0.2) for n in range(20)], processes=2, meanwhile=True)
    after = pool.send(slowly, [([100], 0.0)], processes=2)
    assert after.futures[0].result(timeout=30) == [100]
    taken_back = [n for n, future in enumerate(meanwhile.futures) if future.cancelled()]
    # Two processes, each with one batch started and one or two queued: the rest is cancelled.
    assert len(taken_back) >= 14
    started = [n for n in range(20) if n not in taken_back]
    assert [meanwhile.futures[n].result(timeout=30) for n in started] == [[n] for n in started]
    assert pool.send(slowly, [([7], 0.0)], processes=2).futures[0].result(timeout=30) == [7]


@pytest.mark.usefixtures("through_the_pool")
def test_stopping_the_pool_waits_only_for_the_work_taken() -> None:
    sent = pool.send(slowly, [([n], 0.2) for n in range(20)], processes=2, meanwhile=True)
    pool.stop()
    assert sum(future.cancelled() for future in sent.futures) >= 14
    assert all(future.done() for future in sent.futures)
    # Work sent meanwhile starts no pool: the one that would have done it is gone.
    assert pool.send(slowly, [([1], 0.0)], meanwhile=True) == pool.Sent(None, [])
    assert pool._pool is None
    assert pool.send(slowly, [([2], 0.0)]).futures[0].result(timeout=30) == [2]


@pytest.mark.usefixtures("through_the_pool")
def test_the_hashing_processes_give_way_to_the_process_that_waits_for_them() -> None:
    if not hasattr(os, "nice"):
        pytest.skip("no priorities to give way by")
    here = os.nice(0)
    assert pool.in_pool(os.nice, (0,)) == min(19, here + pool.NICENESS)
