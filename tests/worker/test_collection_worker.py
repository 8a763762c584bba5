"""Collection runs in a real worker process: django-tasks-db's ``db_worker`` on the test database.

The dashboard only enqueues; the worker claims the run, collects into a manifest storage whose
writes are slowed down (so the run can be watched, and killed, half-way) and writes its progress
to the run's row, which these tests read from their own process as the progress page does.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connections
from django.urls import reverse

from inspector.collection.plan import Action, plan_collection
from inspector.collection.runs import forget_after_collection
from inspector.core.freshness import page_max_age
from inspector.core.layers import current_layers, layers_or_building
from inspector.core.status import LiveStatus
from inspector.models import CollectionRun, Phase
from tests.support import collect_project
from tests.support.collect_project import Project, drift
from tests.support.workers import db_worker, runner_client, wait_for, watch

# pytest looks fixtures up by name in the module; an assignment, unlike an import, does not read
# as shadowed where a test takes ``project`` as an argument.
project = collect_project.project
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_collects_with_progress_and_keeps_the_preview_s_promise(
    project: Project, runner: AbstractUser
) -> None:
    edited = drift(project, 30)
    plan = plan_collection(current_layers())
    assert {f.path for f in plan.of(Action.COPY)} == edited
    client = runner_client(runner)
    with db_worker(project.log) as worker:
        response = client.post(reverse("inspector:collect"), {})
        run = CollectionRun.objects.get()
        assert response["Location"] == reverse("inspector:run", args=[run.pk])
        seen = watch(run.pk, worker, project.log)
        assert worker.poll() is None, "the worker died"
    run.refresh_from_db()
    assert run.phase == Phase.DONE, (run.error, project.log.read_text())
    phases = [phase for phase, _, _ in seen]
    assert phases[0] in (Phase.QUEUED, Phase.COPYING)
    assert Phase.COPYING in phases and Phase.POST_PROCESSING in phases
    assert phases.index(Phase.COPYING) < phases.index(Phase.POST_PROCESSING)
    done = [files_done for _, files_done, _ in seen]
    assert done == sorted(done), seen
    assert len(set(done)) >= 4, f"the progress hardly moved: {seen}"
    assert run.files_done == run.files_total > 0
    assert run.worker.endswith(f":{worker.pid}")
    assert run.promised == plan.counts().as_dict()
    assert run.copied == len(edited)
    assert run.unmodified == len(plan.of(Action.LEAVE))
    assert run.post_processed == plan.counts().post_processed
    assert run.deleted == 0
    # What the dashboard shows now: every path current.
    page = client.get(reverse("inspector:overview")).content.decode()
    assert "files differ" not in page
    layers = current_layers()
    assert {layers.live_status(r.path) for r in layers.records} == {LiveStatus.CURRENT}


def test_the_worker_ends_a_run_over_an_unchanged_tree_without_writing(
    project: Project, runner: AbstractUser
) -> None:
    forget_after_collection()  # this process has seen every earlier run
    layers = current_layers()
    assert plan_collection(layers).settled
    written = {p: p.stat().st_mtime_ns for p in project.root.rglob("*") if p.is_file()}
    client = runner_client(runner)
    with db_worker(project.log) as worker:
        client.post(reverse("inspector:collect"), {})
        run = CollectionRun.objects.get()
        watch(run.pk, worker, project.log)
    run.refresh_from_db()
    assert run.phase == Phase.DONE, (run.error, project.log.read_text())
    assert (run.copied, run.post_processed, run.deleted) == (0, 0, 0)
    assert "Nothing to collect" in run.log_tail
    assert {p: p.stat().st_mtime_ns for p in project.root.rglob("*") if p.is_file()} == written
    # The run wrote nothing: the web process keeps its layers (no cold rebuild for it).
    forget_after_collection()
    assert layers_or_building(page_max_age()) is layers


def test_two_triggers_at_once_start_one_run(project: Project, runner: AbstractUser) -> None:
    drift(project, 3)
    barrier = threading.Barrier(2)
    locations: list[str] = []

    def trigger() -> None:
        try:
            client = runner_client(runner)
            barrier.wait()
            locations.append(client.post(reverse("inspector:collect"), {})["Location"])
        finally:
            connections.close_all()  # this thread's own: nothing else closes them

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    run = CollectionRun.objects.get()
    url = reverse("inspector:run", args=[run.pk])
    assert sorted(locations) == [url, f"{url}?already=1"]

    # Clear without the typed location is refused, and nothing more is queued.
    refused = runner_client(runner).post(reverse("inspector:collect"), {"clear": "on"})
    assert refused.status_code == 400
    assert CollectionRun.objects.count() == 1
    with db_worker(project.log) as worker:
        watch(run.pk, worker, project.log)
    run.refresh_from_db()
    assert run.phase == Phase.DONE, run.error
    assert run.copied == 3


def test_a_killed_worker_fails_its_run_loses_nothing_and_the_next_run_succeeds(
    project: Project, runner: AbstractUser
) -> None:
    edited = drift(project, 40)
    before = project.collected()
    client = runner_client(runner)
    with db_worker(project.log) as worker:
        client.post(reverse("inspector:collect"), {})
        run = CollectionRun.objects.get()

        def copying_half_way() -> bool:
            run.refresh_from_db()
            return run.phase == Phase.COPYING and run.files_done >= 5

        wait_for(copying_half_way, "the run to be copying")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    run.refresh_from_db()
    assert run.is_active, "the run ended before the worker was killed"

    # Silence past HEARTBEAT_TIMEOUT: the next look at the run fails it and frees the lock.
    time.sleep(2.5)
    page = client.get(reverse("inspector:run", args=[run.pk])).content.decode()
    run.refresh_from_db()
    assert run.phase == Phase.FAILED
    assert run.active is None
    assert "no heartbeat" in run.error
    assert "Failed" in page

    after = project.collected()
    untouched = {name for name in before if name not in edited}
    assert {name: after.get(name) for name in untouched} == {
        name: before[name] for name in untouched
    }
    json.loads(after["staticfiles.json"])  # the manifest is still the old, whole one

    with db_worker(project.log) as worker:
        response = client.post(reverse("inspector:collect"), {})
        second = CollectionRun.objects.exclude(pk=run.pk).get()
        assert response["Location"] == reverse("inspector:run", args=[second.pk])
        watch(second.pk, worker, project.log)
    second.refresh_from_db()
    assert second.phase == Phase.DONE, (second.error, project.log.read_text())
    layers = current_layers()
    assert {layers.live_status(r.path) for r in layers.records} == {LiveStatus.CURRENT}


def test_a_worker_whose_run_was_failed_under_it_stops(
    project: Project, runner: AbstractUser
) -> None:
    """A late heartbeat (a suspended laptop, a locked database) gets a live worker's run failed;
    the lock is free, so the worker must stop writing rather than race the next run."""
    from django_tasks_db.models import DBTaskResult

    drift(project, 40)
    before = project.collected()
    with db_worker(project.log) as worker:
        runner_client(runner).post(reverse("inspector:collect"), {})
        run = CollectionRun.objects.get()

        def copying_half_way() -> bool:
            run.refresh_from_db()
            return run.phase == Phase.COPYING and run.files_done >= 5

        wait_for(copying_half_way, "the run to be copying")
        # What the reaper does to a silent run.
        CollectionRun.objects.filter(pk=run.pk).update(phase=Phase.FAILED, active=None)
        result = DBTaskResult.objects.filter(id=run.task_id)
        wait_for(lambda: result.filter(status="FAILED").exists(), "the worker to give up", 20)
        assert "RunLost" in (result.get().exception_class_path or "")
        assert worker.poll() is None, "the worker itself keeps serving other tasks"
        copied_at_stop = {n: c for n, c in project.collected().items() if before.get(n) != c}
        time.sleep(1.0)
        assert {n: c for n, c in project.collected().items() if before.get(n) != c} == (
            copied_at_stop
        ), "files changed after the worker gave up"
    run.refresh_from_db()
    assert run.phase == Phase.FAILED
    # Post-processing never ran: the manifest is the previous one.
    assert project.collected()["staticfiles.json"] == before["staticfiles.json"]
