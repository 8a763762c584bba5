"""A collection run inside the worker: claim it, plan it afresh, collect, report, beat.

``tasks.collect_static`` calls ``execute_run``. Progress goes to the run's row a few times a
second; a thread beats ``heartbeat_at`` meanwhile. If the row stops accepting either (the run
was failed for silence, or cancelled), the run stops at its next file: it no longer holds the
lock, and another run may be writing the same storage.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.files.storage import Storage, storages
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.db.models.functions import Now

from ..conf import get_config
from ..core import caches
from ..core.layers import Layers, current_layers
from ..core.manifest.releases import manifest_name_in_storage
from ..core.status import LiveStatus
from ..core.storage.instance import as_manifest_storage, staticfiles_params
from ..core.storage.kept import forget_listings
from ..models import ACTIVE_PHASES, CollectionRun, Phase
from .collector import Collector
from .plan import CollectionPlan, Counts, plan_collection

__all__ = ["RunLost", "execute_run"]

logger = logging.getLogger(__name__)

# Lines of collectstatic's output kept on the run.
LOG_TAIL_LINES = 40
# Progress is written at most this often (seconds): a row update per file would be the
# slowest part of collecting small files.
WRITE_INTERVAL = 0.25


class RunLost(Exception):
    """The run's row no longer takes this worker's writes: it was failed or cancelled."""


def forget_collected() -> None:
    """Drop every listing and report, here and in the shared cache: the storage changed."""
    forget_listings()
    caches.clear()


def execute_run(run_id: int) -> Counts:
    """Run collection ``run_id`` (the task's body); return its counts."""
    claimed = CollectionRun.objects.filter(pk=run_id, phase=Phase.QUEUED, active=True).update(
        phase=Phase.COPYING,
        started_at=Now(),
        heartbeat_at=Now(),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    if not claimed:
        logger.warning("collection %s was not queued any more (cancelled or failed)", run_id)
        return Counts()
    run = CollectionRun.objects.get(pk=run_id)
    progress = RunProgress(run_id)
    try:
        with heartbeat(run_id, progress):
            forget_collected()
            layers = current_layers()
            plan = plan_collection(layers, clear=run.clear)
            if plan.settled:
                return _finish_settled(run_id, plan, progress)
            storage = storages.create_storage(staticfiles_params())
            manifest_before = _manifest_text(storage)
            copy_total = len(plan.files) + len(plan.deleted)
            post_total = len(plan.files) if plan.post_processor else 0
            progress.set_total(copy_total + post_total)
            collector = Collector(
                storage, decisions=plan.decisions(), progress=progress, copy_total=copy_total
            )
            progress.counts = collector.counts
            call_command(
                collector,
                interactive=False,
                clear=run.clear,
                verbosity=2,
                stdout=progress.log,
                stderr=progress.log,
            )
    except BaseException as exc:
        if not isinstance(exc, RunLost):
            progress.flush()
            CollectionRun.objects.finish(
                run_id, Phase.FAILED, error=describe(exc), log_tail=progress.log.text()
            )
        forget_collected()
        raise
    counts = collector.counts()
    collector.manifest_changed = _manifest_text(storage) != manifest_before
    progress.flush()
    CollectionRun.objects.finish(
        run_id,
        Phase.DONE,
        log_tail=progress.log.text(),
        copied=counts.copied,
        unmodified=counts.unmodified,
        deleted=counts.deleted,
        post_processed=counts.post_processed or 0,
        replaced=_replaced(collector, layers, storage),
    )
    forget_collected()
    return counts


SETTLED = (
    "Nothing to collect: every collected copy has its source's bytes, and every hashed name, "
    "hashed copy and manifest entry is what collectstatic would write now."
)


def _finish_settled(run_id: int, plan: CollectionPlan, progress: RunProgress) -> Counts:
    """End a run whose fresh plan finds nothing to write: collectstatic is not started (its
    post-processing would rewrite every hashed copy with the same bytes)."""
    counts = Counts(unmodified=len(plan.files), post_processed=0)
    progress.log.write(SETTLED + "\n")
    CollectionRun.objects.finish(
        run_id,
        Phase.DONE,
        log_tail=progress.log.text(),
        copied=0,
        unmodified=counts.unmodified,
        deleted=0,
        post_processed=0,
        replaced=[],
    )
    return counts  # nothing was written: the caches stay true


def _manifest_text(storage: Storage) -> str | None:
    """Return the manifest's text as the storage reads it (None: none, or no manifest storage)."""
    hashing = as_manifest_storage(storage)
    if hashing is None:
        return None
    try:
        return hashing.read_manifest()
    except Exception:  # unreadable: compared as absent, so a rewrite counts as a change
        return None


def _replaced(collector: Collector, layers: Layers, storage: Storage) -> list[str]:
    """Return what the run changed under unhashed names, for the CDN (``core.invalidation``)."""
    live = layers.live
    unchanged = (
        {r.path for r in layers.inventory if live.status_of(r.path) == LiveStatus.CURRENT}
        if live is not None
        else set()
    )
    hashing = as_manifest_storage(storage)
    manifest = manifest_name_in_storage(hashing) if hashing is not None else None
    return collector.replaced(unchanged, layers.manifest.accounted_names(), manifest)


def describe(exc: BaseException) -> str:
    """Return what a user reads about a failed run."""
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "the worker was stopped during the run"
    # Django 6.1 wraps post-processing errors in CommandError; the cause names the file.
    if isinstance(exc, CommandError) and exc.__cause__ is not None:
        exc = exc.__cause__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class LogTail:
    """A file-like sink for collectstatic's output that keeps the last lines."""

    def __init__(self, lines: int = LOG_TAIL_LINES) -> None:
        self._lines: deque[str] = deque(maxlen=lines)

    def write(self, text: str) -> int:
        self._lines.extend(line for line in text.splitlines() if line.strip())
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        return "\n".join(self._lines)


class RunProgress:
    """Counts files as the collector reports them and writes them to the run, now and then."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.log = LogTail()
        self.phase = Phase.COPYING
        self.done = 0
        self.total = 0
        self.lost = False
        self._written_at = 0.0
        # What the collector has done so far; written with the progress, so a run whose worker
        # is killed keeps the counts it reached.
        self.counts: Callable[[], Counts] = Counts

    def counted(self) -> dict[str, int]:
        counts = self.counts()
        return {
            "copied": counts.copied,
            "unmodified": counts.unmodified,
            "deleted": counts.deleted,
            "post_processed": counts.post_processed or 0,
        }

    def set_total(self, total: int) -> None:
        self.total = total
        self.flush()

    def begin(self, phase: Phase, total: int) -> None:
        self.phase = phase
        # Post-processing may see a different number of files than planned (sources changed).
        if self.phase == Phase.POST_PROCESSING:
            self.total = self.done + total
        self.flush()

    def advance(self) -> None:
        if self.lost:
            raise RunLost(f"collection {self.run_id} was failed or cancelled: stopping")
        self.done += 1
        if time.monotonic() - self._written_at >= WRITE_INTERVAL:
            self.flush()

    def flush(self) -> None:
        self._written_at = time.monotonic()
        try:
            written = CollectionRun.objects.filter(pk=self.run_id, phase__in=ACTIVE_PHASES).update(
                phase=self.phase,
                files_done=self.done,
                files_total=max(self.total, self.done),
                log_tail=self.log.text(),
                heartbeat_at=Now(),
                **self.counted(),
            )
        except DatabaseError:  # locked or lost for a moment: the next write carries it all
            logger.warning("collection %s: progress not written", self.run_id, exc_info=True)
            return
        if not written:
            self.lost = True


@contextmanager
def heartbeat(run_id: int, progress: RunProgress) -> Iterator[None]:
    """Beat the run's ``heartbeat_at`` from a thread while the body works.

    A single long step (a large upload, a slow post-process pass) writes no progress for a
    while; the beat says the worker is alive all the same, and stops with the process.
    """
    interval = float(get_config()["HEARTBEAT_SECONDS"])
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    # The counts too: a long file or pass writes no progress meanwhile.
                    written = CollectionRun.objects.filter(
                        pk=run_id, phase__in=ACTIVE_PHASES
                    ).update(heartbeat_at=Now(), files_done=progress.done, **progress.counted())
                except DatabaseError:  # a locked or lost database: the next beat tries again
                    logger.warning("collection %s: heartbeat not written", run_id, exc_info=True)
                    continue
                if not written:
                    progress.lost = True
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"collection-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)
