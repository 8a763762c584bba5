"""Collection runs seen from the web: starting one (one at a time), cancelling, noticing dead ones.

The request only records a ``CollectionRun`` and enqueues ``tasks.collect_static`` once the row
is committed; ``worker`` runs it. A worker beats the row's ``heartbeat_at`` while it works, so
a run whose worker was killed is recognised by its silence (``HEARTBEAT_TIMEOUT``, measured on
the database's clock) and marked failed, which releases the lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Now

from ..conf import get_config
from ..core import caches
from ..core.freshness import page_max_age
from ..core.layers import Building, Layers, current_layers, layers_or_building
from ..models import CollectionRun, Phase
from .plan import CollectionPlan
from .tasks import TaskResultStatus, collect_static

__all__ = [
    "active_run",
    "cancel_run",
    "forget_after_collection",
    "layers_for_page",
    "reap_dead_runs",
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
                    requested_by=cast(Any, user) if authenticated else None,
                    requested_by_name=(user.get_username() if authenticated else "")[:150],
                    clear=plan.clear,
                    storage=plan.storage,
                    promised=plan.counts().as_dict(),
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
    config = get_config()
    try:
        result = collect_static.using(
            backend=config["TASK_BACKEND"], queue_name=config["TASK_QUEUE"]
        ).enqueue(run_id)
    except Exception as exc:  # a misconfigured or unreachable task backend
        logger.exception("collection %s could not be enqueued", run_id)
        CollectionRun.objects.finish(
            run_id, Phase.FAILED, error=f"could not enqueue the run: {exc}"
        )
        return
    # An immediate backend has already run it; a queue has not: keep whatever the row says.
    CollectionRun.objects.filter(pk=run_id, task_id="").update(task_id=str(result.id))


def cancel_run(run: CollectionRun, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Fail a run no worker has claimed yet, recording who cancelled it; return False if a
    worker already has."""
    name = user.get_username()[:150] if user.is_authenticated else ""
    return bool(
        CollectionRun.objects.finish(
            run.pk,
            Phase.FAILED,
            error=f"cancelled by {name or 'an unknown user'} before a worker started it",
            queued=True,
            cancelled_by=cast(Any, user) if user.is_authenticated else None,
            cancelled_by_name=name,
        )
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
            reaped += CollectionRun.objects.finish(run.pk, Phase.FAILED, error=ended, queued=True)
    return reaped


def _ended_task(task_id: str) -> str | None:
    """Return why the task of a queued run ended without running it; None if it has not."""
    try:
        backend = collect_static.using(backend=get_config()["TASK_BACKEND"]).get_backend()
        if not backend.supports_get_result:
            return None
        result = backend.get_result(task_id)
    except Exception:  # pruned results, an unreachable backend: nothing to conclude
        return None
    status = result.status
    if status not in (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL):
        return None
    errors = getattr(result, "errors", None) or []
    last_lines = errors[-1].traceback.strip().splitlines() if errors else []
    detail = last_lines[-1] if last_lines else str(status.value).lower()
    return f"the task ended before it could run the collection ({detail})"


_seen_finish: datetime | None = None


def forget_after_collection() -> None:
    """Empty this process's caches if a run that may have written finished since they were
    filled (a run that ended done having copied, deleted and post-processed nothing wrote
    nothing: the layers it leaves are still true).

    Runs finish in worker processes: the database is what every web process shares with them.
    """
    global _seen_finish
    wrote = CollectionRun.objects.exclude(phase=Phase.DONE, copied=0, deleted=0, post_processed=0)
    latest = wrote.aggregate(latest=Max("finished_at"))["latest"]
    if latest != _seen_finish:
        caches.clear()
        _seen_finish = latest


def layers_for_page() -> Layers | Building:
    """Return the layers a page shows, never older than the last run, at once: the last ones
    (re-checked in the background past ``page_max_age()``), or how far the first check got.

    ``RECHECK_SECONDS`` 0 asks for a check on every page: the page then waits for it.
    """
    forget_after_collection()
    max_age = page_max_age()
    if max_age.local <= 0:
        return current_layers(max_age=max_age)
    return layers_or_building(max_age)
