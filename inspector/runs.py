"""Collection runs: starting one (one at a time), running it in a worker, and noticing dead ones.

The request only records a ``CollectionRun`` and enqueues ``tasks.collect_static``; the worker
claims the run, takes a fresh plan, runs ``Collector`` and writes its progress to the row. A
thread beats the row's ``heartbeat_at`` while it works, so a run whose worker was killed is
recognised by its silence (``HEARTBEAT_TIMEOUT``) and marked failed, which releases the lock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from .collected import forget_snapshots, forget_storage, staticfiles_params
from .collection import CollectionPlan, plan_collection
from .collector import Collector
from .conf import get_config
from .deployed import clear_live_cache
from .layers import Layers, command_layers, page_layers
from .manifest import clear_manifest_cache
from .models import ACTIVE_PHASES, CollectionRun, Phase

__all__ = [
    "active_run",
    "cancel_run",
    "execute_run",
    "forget_after_collection",
    "fresh_page_layers",
    "reap_dead_runs",
    "start_run",
]

logger = logging.getLogger(__name__)

# Lines of collectstatic's output kept on the run.
LOG_TAIL_LINES = 40
# Progress is written at most this often (seconds): a row update per file would be the
# slowest part of collecting small files.
WRITE_INTERVAL = 0.25


def active_run() -> CollectionRun | None:
    """Return the run that holds the lock, after failing it if its worker went silent."""
    reap_dead_runs()
    return CollectionRun.objects.filter(active=True).first()


def start_run(
    user: AbstractBaseUser | AnonymousUser, plan: CollectionPlan
) -> tuple[CollectionRun, bool]:
    """Record and enqueue a run of ``plan``; return (the run, True) or (the running one, False).

    The unique ``active`` column decides between two triggers, even from two processes.
    """
    from .tasks import collect_static

    reap_dead_runs()
    authenticated = bool(user.is_authenticated)
    # Twice at most: the running run may end between our insert and our look at it.
    for _ in range(2):
        try:
            with transaction.atomic():
                run = CollectionRun.objects.create(
                    requested_by=user if authenticated else None,
                    requested_by_name=user.get_username() if authenticated else "",
                    clear=plan.clear,
                    storage=plan.storage,
                    promised=plan.counts(),
                )
        except IntegrityError:
            running = CollectionRun.objects.filter(active=True).first()
            if running is not None:
                return running, False
            continue
        break
    else:
        raise RuntimeError("a collection run could not be recorded")
    config = get_config()
    try:
        result = collect_static.using(
            backend=config["TASK_BACKEND"], queue_name=config["TASK_QUEUE"]
        ).enqueue(run.pk)
    except Exception as exc:  # a misconfigured or unreachable task backend
        _finish(run.pk, Phase.FAILED, error=f"could not enqueue the run: {exc}")
        run.refresh_from_db()
        return run, True
    # An immediate backend has already run it; a queue has not: keep whatever the row says.
    CollectionRun.objects.filter(pk=run.pk, task_id="").update(task_id=str(result.id))
    run.refresh_from_db()
    return run, True


def cancel_run(run: CollectionRun) -> bool:
    """Fail a run no worker has claimed yet; return False if one already has."""
    return bool(
        _finish(run.pk, Phase.FAILED, error="cancelled before a worker started it", queued=True)
    )


def reap_dead_runs() -> int:
    """Fail running runs whose heartbeat is older than ``HEARTBEAT_TIMEOUT``; return how many."""
    timeout = float(get_config()["HEARTBEAT_TIMEOUT"])
    silent_since = timezone.now() - timedelta(seconds=timeout)
    dead = CollectionRun.objects.filter(
        active=True,
        phase__in=[Phase.COPYING, Phase.POST_PROCESSING],
        heartbeat_at__lt=silent_since,
    )
    return dead.update(
        phase=Phase.FAILED,
        active=None,
        finished_at=timezone.now(),
        error=(
            f"the worker stopped answering (no heartbeat for {timeout:g} s): it was killed or "
            "lost its database connection. Files it had not replaced yet are untouched."
        ),
    )


_seen_finish: Any = None


def forget_after_collection() -> None:
    """Drop this process's listings and reports if a run finished since they were taken.

    Runs finish in worker processes: the database is what every web process shares with them.
    """
    global _seen_finish
    latest = CollectionRun.objects.aggregate(latest=Max("finished_at"))["latest"]
    if latest != _seen_finish:
        _seen_finish = latest
        forget_collected()


def fresh_page_layers() -> Layers:
    """Return ``page_layers()``, first dropping what a collection run has made out of date."""
    forget_after_collection()
    return page_layers()


def forget_collected() -> None:
    forget_snapshots()
    forget_storage()
    clear_manifest_cache()
    clear_live_cache()


# --- in the worker --------------------------------------------------------------------------


def execute_run(run_id: int) -> dict[str, int]:
    """Run collection ``run_id`` (the task's body); return its counts."""
    claimed = CollectionRun.objects.filter(pk=run_id, phase=Phase.QUEUED, active=True).update(
        phase=Phase.COPYING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    if not claimed:  # cancelled, or failed while it waited
        return {}
    run = CollectionRun.objects.get(pk=run_id)
    progress = RunProgress(run_id)
    try:
        with heartbeat(run_id):
            forget_collected()
            plan = plan_collection(command_layers(), clear=run.clear)
            storage = storages.create_storage(staticfiles_params())
            copy_total = len(plan.files) + len(plan.deleted)
            post_total = len(plan.files) if plan.post_processor else 0
            progress.set_total(copy_total + post_total)
            collector = Collector(
                storage, decisions=plan.decisions(), progress=progress, copy_total=copy_total
            )
            call_command(
                collector,
                interactive=False,
                clear=run.clear,
                verbosity=2,
                stdout=progress.log,
                stderr=progress.log,
            )
    except BaseException as exc:
        progress.flush()
        _finish(run_id, Phase.FAILED, error=_describe(exc), log_tail=progress.log.text())
        forget_collected()
        raise
    counts = collector.counts()
    progress.flush()
    _finish(run_id, Phase.DONE, log_tail=progress.log.text(), **counts)
    forget_collected()
    return counts


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "the worker was stopped during the run"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _finish(run_id: int, phase: Phase, *, queued: bool = False, **fields: Any) -> int:
    runs = CollectionRun.objects.filter(pk=run_id, phase__in=ACTIVE_PHASES)
    if queued:
        runs = runs.filter(phase=Phase.QUEUED)
    return runs.update(phase=phase, active=None, finished_at=timezone.now(), **fields)


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
        self._written_at = 0.0

    def set_total(self, total: int) -> None:
        self.total = total
        self.flush()

    def begin(self, phase: str, total: int) -> None:
        self.phase = Phase(phase)
        # Post-processing may see a different number of files than planned (sources changed).
        if self.phase == Phase.POST_PROCESSING:
            self.total = self.done + total
        self.flush()

    def advance(self) -> None:
        self.done += 1
        if time.monotonic() - self._written_at >= WRITE_INTERVAL:
            self.flush()

    def flush(self) -> None:
        self._written_at = time.monotonic()
        CollectionRun.objects.filter(pk=self.run_id, phase__in=ACTIVE_PHASES).update(
            phase=self.phase,
            files_done=self.done,
            files_total=max(self.total, self.done),
            log_tail=self.log.text(),
            heartbeat_at=timezone.now(),
        )


@contextmanager
def heartbeat(run_id: int) -> Iterator[None]:
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
                    CollectionRun.objects.filter(pk=run_id, phase__in=ACTIVE_PHASES).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:  # a locked or lost database: the next beat tries again
                    logger.warning("collection %s: heartbeat not written", run_id, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"collection-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)
