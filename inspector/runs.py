"""Collection runs seen from the web: starting one (one at a time), cancelling, noticing dead ones.

The request only records a ``CollectionRun`` and enqueues ``tasks.collect_static`` once the row
is committed; ``worker.py`` runs it. A worker beats the row's ``heartbeat_at`` while it works, so
a run whose worker was killed is recognised by its silence (``HEARTBEAT_TIMEOUT``, measured on
the database's clock) and marked failed, which releases the lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Now

from .collected import forget_storage
from .collection import CollectionPlan
from .conf import get_config
from .deployed import clear_live_cache
from .layers import Layers, page_layers
from .listings import forget_snapshots
from .manifest import clear_manifest_cache
from .models import ACTIVE_PHASES, CollectionRun, Phase

__all__ = [
    "active_run",
    "cancel_run",
    "forget_after_collection",
    "fresh_page_layers",
    "reap_dead_runs",
    "finish_run",
    "forget_collected",
    "start_run",
]

logger = logging.getLogger(__name__)

# Queued runs whose task the reaper asks the backend about, per look.
QUEUED_CHECKED = 5


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
    reap_dead_runs()
    authenticated = bool(user.is_authenticated)
    # Twice at most: the running run may end between our insert and our look at it.
    for _ in range(2):
        try:
            with transaction.atomic():
                run = CollectionRun.objects.create(
                    requested_by=user if authenticated else None,
                    requested_by_name=(user.get_username() if authenticated else "")[:150],
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
    # The worker must find the row: enqueue once it is committed (at once outside a transaction;
    # after the request's under ATOMIC_REQUESTS, so an immediate backend runs outside it too).
    transaction.on_commit(partial(_enqueue, run.pk))
    run.refresh_from_db()
    return run, True


def _enqueue(run_id: int) -> None:
    from .tasks import collect_static

    config = get_config()
    try:
        result = collect_static.using(
            backend=config["TASK_BACKEND"], queue_name=config["TASK_QUEUE"]
        ).enqueue(run_id)
    except Exception as exc:  # a misconfigured or unreachable task backend
        logger.exception("collection %s could not be enqueued", run_id)
        finish_run(run_id, Phase.FAILED, error=f"could not enqueue the run: {exc}")
        return
    # An immediate backend has already run it; a queue has not: keep whatever the row says.
    CollectionRun.objects.filter(pk=run_id, task_id="").update(task_id=str(result.id))


def cancel_run(run: CollectionRun) -> bool:
    """Fail a run no worker has claimed yet; return False if one already has."""
    return bool(
        finish_run(run.pk, Phase.FAILED, error="cancelled before a worker started it", queued=True)
    )


def reap_dead_runs() -> int:
    """Fail runs that will never end by themselves; return how many.

    A running run whose heartbeat is older than ``HEARTBEAT_TIMEOUT`` lost its worker. A queued
    run whose task the backend says has ended (it failed before it could start, or was lost)
    will never be claimed.
    """
    active = CollectionRun.objects.filter(active=True)
    # Pages and every progress poll call this: a write only when there is something to reap.
    if not active.exists():
        return 0
    timeout = float(get_config()["HEARTBEAT_TIMEOUT"])
    reaped = active.filter(
        phase__in=[Phase.COPYING, Phase.POST_PROCESSING],
        heartbeat_at__lt=Now() - timedelta(seconds=timeout),
    ).update(
        phase=Phase.FAILED,
        active=None,
        finished_at=Now(),
        error=(
            f"the worker stopped answering (no heartbeat for {timeout:g} s): it was killed or "
            "lost its database connection. Files it had not replaced yet are untouched."
        ),
    )
    for run in active.filter(phase=Phase.QUEUED).exclude(task_id="")[:QUEUED_CHECKED]:
        ended = _ended_task(run.task_id)
        if ended is not None:
            reaped += finish_run(run.pk, Phase.FAILED, error=ended, queued=True)
    return reaped


def _ended_task(task_id: str) -> str | None:
    """Return why the task of a queued run ended without running it; None if it has not."""
    from .tasks import collect_static

    try:
        backend = collect_static.using(backend=get_config()["TASK_BACKEND"]).get_backend()
        if not backend.supports_get_result:
            return None
        result = backend.get_result(task_id)
    except Exception:  # pruned results, an unreachable backend: nothing to conclude
        return None
    status = str(getattr(result.status, "value", result.status))
    if status not in ("FAILED", "SUCCESSFUL"):
        return None
    errors = getattr(result, "errors", None) or []
    last_lines = errors[-1].traceback.strip().splitlines() if errors else []
    detail = last_lines[-1] if last_lines else status.lower()
    return f"the task ended before it could run the collection ({detail})"


_seen_finish: datetime | None = None


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


def finish_run(run_id: int, phase: Phase, *, queued: bool = False, **fields: Any) -> int:
    """End an active run (only a queued one if ``queued``); return 1 if it was still active."""
    runs = CollectionRun.objects.filter(pk=run_id, phase__in=ACTIVE_PHASES)
    if queued:
        runs = runs.filter(phase=Phase.QUEUED)
    return runs.update(phase=phase, active=None, finished_at=Now(), **fields)
