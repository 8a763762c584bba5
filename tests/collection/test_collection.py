"""Collection from the dashboard, in process: the preview, the run, its pages and its safety.

Runs go through Django's tasks framework with the immediate backend (the task runs when the
request's row is committed, inside the request), which shows that a backend other than the
database one works; the real worker process is in ``tests/worker/``. The database is
transactional, as in production: the run is enqueued on commit, and the heartbeat thread has its
own connection.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inspector.collection.plan import Action, plan_collection
from inspector.core.layers import current_layers
from inspector.core.status import LiveStatus, ManifestFinding
from inspector.models import CollectionRun, Phase
from tests.support.collect_project import Collected
from tests.support.layout import Layout, age, collected_app
from tests.support.workers import TASK_APPS

pytestmark = pytest.mark.django_db(transaction=True)

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
WHITENOISE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
FILES: dict[str, str] = {
    "css/site.css": 'body { background: url("../img/dot.svg"); }\n',
    "img/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>\n',
    "img/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"><rect width="2"/></svg>\n',
    "js/app.js": "console.log('app');\n",
    "js/old.js": "console.log('old');\n",
    "odd/with space <script>.txt": "plain text\n",
}


@pytest.fixture(params=[MANIFEST, WHITENOISE], ids=["django", "whitenoise"])
def project(layout: Layout, request: pytest.FixtureRequest) -> Iterator[Collected]:
    with collected_app(layout, "collect", FILES, request.param) as static:
        yield Collected(layout, static)


def drift(project: Collected) -> None:
    """After the deploy: one source edited, one added, one deleted; a copy made newer by hand."""
    project.layout.write(project.static, "js/app.js", "console.log('app v2');\n")
    project.layout.write(project.static, "css/new.css", "p { margin: 0 }\n")
    (project.static / "js" / "old.js").unlink()
    # Newer than its source but different: collectstatic alone would keep this copy.
    (project.root / "img" / "logo.svg").write_text("<svg>tampered</svg>\n")
    age(project.static, seconds=30)


@pytest.fixture
def runner_client(client: Client, runner: AbstractUser) -> Client:
    client.force_login(runner)
    return client


def test_an_unchanged_tree_needs_no_run_and_the_run_writes_nothing(
    project: Collected, runner_client: Client
) -> None:
    # Every copy, hashed name, hashed copy and manifest entry is what collectstatic would write
    # now: the run ends without starting collectstatic, whose post-processing would rewrite
    # every hashed copy with the same bytes.
    plan = plan_collection(current_layers())
    assert plan.settled
    assert (plan.counts().copied, plan.post_process) == (0, 0)
    assert "Nothing differs: the run would change nothing." in (
        runner_client.get(reverse("inspector:collect")).content.decode()
    )
    written = {p: p.stat().st_mtime_ns for p in project.root.rglob("*") if p.is_file()}
    runner_client.post(reverse("inspector:collect"), {})
    run = CollectionRun.objects.get()
    assert run.phase == Phase.DONE, run.error
    assert (run.copied, run.post_processed, run.unmodified) == (0, 0, len(plan.files))
    assert "Nothing to collect" in run.log_tail
    assert {p: p.stat().st_mtime_ns for p in project.root.rglob("*") if p.is_file()} == written
    run_page = runner_client.get(reverse("inspector:run", args=[run.pk]))
    assert run_page.status_code == 200
    assert "Nothing to collect" in run_page.content.decode()
    # One source edited: the tree is no longer settled, and the run collects it.
    project.layout.write(project.static, "js/app.js", "console.log('app v3');\n")
    age(project.static, seconds=30)
    assert not plan_collection(current_layers()).settled
    runner_client.post(reverse("inspector:collect"), {})
    latest = CollectionRun.objects.first()
    assert latest is not None and latest.phase == Phase.DONE and latest.copied == 1
    assert latest.post_processed and latest.post_processed > 0


def test_preview_lists_what_differs_and_the_run_does_exactly_that(
    project: Collected, runner_client: Client
) -> None:
    drift(project)
    plan = plan_collection(current_layers())
    by_action = {f.path: f.action for f in plan.files}
    assert by_action["js/app.js"] == Action.COPY
    assert by_action["css/new.css"] == Action.COPY
    assert by_action["img/logo.svg"] == Action.COPY
    assert by_action["img/dot.svg"] == Action.LEAVE
    assert "js/old.js" in plan.orphans

    page = runner_client.get(reverse("inspector:collect"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "3</strong> to copy" in text
    assert "with space &lt;script&gt;.txt" in text
    assert "<script>.txt" not in text

    before = project.collected()
    response = runner_client.post(reverse("inspector:collect"), {})
    run = CollectionRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inspector:run", args=[run.pk])
    assert run.phase == Phase.DONE, run.error
    assert run.requested_by_name == "runner"
    assert run.promised == plan.counts().as_dict()
    assert {
        "copied": run.copied,
        "unmodified": run.unmodified,
        "post_processed": run.post_processed,
        "deleted": run.deleted,
    } == {
        k: plan.counts().as_dict()[k] for k in ("copied", "unmodified", "post_processed", "deleted")
    }
    assert run.files_done == run.files_total > 0
    assert run.active is None

    after = project.collected()
    assert after["js/app.js"] == b"console.log('app v2');\n"
    assert after["img/logo.svg"] == (project.static / "img" / "logo.svg").read_bytes()
    # Left alone: same bytes, and the orphan stays (only clear removes it).
    assert after["img/dot.svg"] == before["img/dot.svg"]
    assert after["js/old.js"] == before["js/old.js"]
    statuses = project.live()
    assert statuses["js/old.js"] == LiveStatus.ORPHANED
    # The deleted source's copy is an orphan; its hashed copy, now that no manifest entry names
    # it, an old hashed version the manifest layer lists as reclaimable.
    old_copies = {name for name in before if name.startswith("js/old.")}
    assert len(old_copies) == 2
    assert {p: s for p, s in statuses.items() if s != LiveStatus.CURRENT} == {
        "js/old.js": LiveStatus.ORPHANED
    }
    reclaimable = current_layers().manifest.findings_of(ManifestFinding.ORPHANED_HASHED_FILE)
    assert {(f.path, f.file) for f in reclaimable if f.path == "js/old.js"} == {
        ("js/old.js", name) for name in old_copies - {"js/old.js"}
    }


def test_the_run_page_reports_the_end_and_stops_polling(
    project: Collected, runner_client: Client
) -> None:
    drift(project)
    runner_client.post(reverse("inspector:collect"), {})
    run = CollectionRun.objects.get()
    url = reverse("inspector:run", args=[run.pk])
    page = runner_client.get(url).content.decode()
    assert 'value="100"' in page
    assert "See the updated dashboard" in page
    fragment = runner_client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 286
    assert "hx-trigger" not in fragment.content.decode()

    # While a run is active the fragment keeps polling.
    CollectionRun.objects.filter(pk=run.pk).update(phase=Phase.COPYING, active=True)
    CollectionRun.objects.filter(pk=run.pk).update(
        files_done=3, files_total=12, heartbeat_at=timezone.now()
    )
    fragment = runner_client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert 'value="25"' in body


def test_the_dashboard_shows_the_collection_at_once(
    project: Collected, runner_client: Client
) -> None:
    drift(project)
    overview = runner_client.get(reverse("inspector:overview")).content.decode()
    assert "3</strong> files differ" in overview
    runner_client.post(reverse("inspector:collect"), {})
    overview = runner_client.get(reverse("inspector:overview")).content.decode()
    assert "files differ" not in overview
    assert "done" in overview


def test_clear_needs_the_location_typed(project: Collected, runner_client: Client) -> None:
    drift(project)
    before = project.collected()
    refused = runner_client.post(reverse("inspector:collect"), {"clear": "on", "confirm": "yes"})
    assert refused.status_code == 400
    assert "type " in refused.content.decode()
    assert CollectionRun.objects.count() == 0
    assert project.collected() == before

    preview = runner_client.get(reverse("inspector:collect") + "?clear=1").content.decode()
    assert f"{len(before)}</strong> to delete" in preview

    runner_client.post(reverse("inspector:collect"), {"clear": "on", "confirm": str(project.root)})
    run = CollectionRun.objects.get()
    assert run.phase == Phase.DONE, run.error
    assert run.clear
    assert run.deleted == len(before)
    assert run.unmodified == 0
    after = project.collected()
    assert "js/old.js" not in after  # the orphan went with the clear
    assert set(project.live().values()) == {LiveStatus.CURRENT}


def test_one_run_at_a_time(project: Collected, runner_client: Client) -> None:
    running = CollectionRun.objects.create(
        phase=Phase.COPYING, heartbeat_at=timezone.now(), started_at=timezone.now()
    )
    response = runner_client.post(reverse("inspector:collect"), {})
    assert response["Location"] == reverse("inspector:run", args=[running.pk]) + "?already=1"
    assert CollectionRun.objects.count() == 1
    page = runner_client.get(response["Location"]).content.decode()
    assert "already running" in page
    preview = runner_client.get(reverse("inspector:collect")).content.decode()
    assert f"run #{running.pk}" in preview
    assert "disabled" in preview


def test_a_silent_run_is_failed_and_releases_the_lock(
    project: Collected, runner_client: Client
) -> None:
    silent = CollectionRun.objects.create(
        phase=Phase.COPYING,
        started_at=timezone.now() - timedelta(minutes=5),
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    history = runner_client.get(reverse("inspector:runs")).content.decode()
    silent.refresh_from_db()
    assert silent.phase == Phase.FAILED
    assert "no heartbeat" in silent.error
    assert "failed" in history
    runner_client.post(reverse("inspector:collect"), {})
    assert CollectionRun.objects.filter(phase=Phase.DONE).count() == 1


def test_a_queued_run_can_be_cancelled(runner_client: Client) -> None:
    queued = CollectionRun.objects.create()
    assert runner_client.get(reverse("inspector:run-cancel", args=[queued.pk])).status_code == 405
    runner_client.post(reverse("inspector:run-cancel", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.phase == Phase.FAILED
    assert queued.active is None
    assert "cancelled" in queued.error


def test_a_failing_run_says_why_and_keeps_the_other_files(
    project: Collected, runner_client: Client
) -> None:
    drift(project)
    before = project.collected()
    # A source that cannot be read: collectstatic stops on it.
    broken = project.static / "js" / "app.js"
    broken.unlink()
    os.symlink(project.layout.root / "nowhere.js", broken)
    runner_client.post(reverse("inspector:collect"), {})
    run = CollectionRun.objects.get()
    assert run.phase == Phase.FAILED
    assert "FileNotFoundError" in run.error and "js/app.js" in run.error, run.error
    assert run.active is None
    page = runner_client.get(reverse("inspector:run", args=[run.pk])).content.decode()
    assert "Failed" in page and "js/app.js" in page
    after = project.collected()
    for name, content in before.items():
        if name not in {"img/logo.svg", "css/new.css", "js/app.js"}:
            assert after.get(name) == content, name
    # The manifest is written last: the failed run left the previous one whole.
    assert after["staticfiles.json"] == before["staticfiles.json"]


def test_an_expired_session_sends_a_poll_to_log_in(runner_client: Client) -> None:
    run = CollectionRun.objects.create(phase=Phase.COPYING, heartbeat_at=timezone.now())
    url = reverse("inspector:run", args=[run.pk])
    poll = Client().get(
        url, headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{url}"}
    )
    assert poll.status_code == 200
    assert poll["HX-Redirect"].endswith(f"?next={url}")
    assert "login" in poll["HX-Redirect"]


def test_non_staff_may_not_run_even_with_the_permission(
    project: Collected, client: Client, runner: AbstractUser
) -> None:
    runner.is_staff = False
    runner.save()
    client.force_login(runner)
    assert client.post(reverse("inspector:collect"), {}).status_code == 403
    queued = CollectionRun.objects.create()
    assert client.post(reverse("inspector:run-cancel", args=[queued.pk])).status_code == 403
    assert CollectionRun.objects.get().phase == Phase.QUEUED


def test_a_queued_run_whose_task_ended_is_failed(
    layout: Layout, runner_client: Client, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.ASSET_INSPECTOR = {**settings.ASSET_INSPECTOR, "TASK_BACKEND": "worker"}
    project = layout.folder("project")
    layout.write(project, "a.css", "a")
    with layout.settings(dirs=[project], apps=TASK_APPS):
        runner_client.post(reverse("inspector:collect"), {})
        run = CollectionRun.objects.get()
        assert run.phase == Phase.QUEUED and run.task_id
        # A worker that could not import the task, say: its result says failed, nothing ran.
        DBTaskResult.objects.filter(id=run.task_id).update(status="FAILED")
        runner_client.get(reverse("inspector:runs"))
    run.refresh_from_db()
    assert run.phase == Phase.FAILED
    assert "ended before it could run" in run.error
    assert run.active is None


def test_a_heartbeat_timeout_too_short_is_an_error(settings: Any) -> None:
    from inspector.checks import check_heartbeat

    settings.ASSET_INSPECTOR = {"HEARTBEAT_SECONDS": 5, "HEARTBEAT_TIMEOUT": 8}
    assert [m.id for m in check_heartbeat()] == ["inspector.E001"]
    settings.ASSET_INSPECTOR = {"HEARTBEAT_SECONDS": 2, "HEARTBEAT_TIMEOUT": 60}
    assert check_heartbeat() == []


def test_permissions(project: Collected, viewer_client: Client) -> None:
    anonymous = Client().post(reverse("inspector:collect"), {})
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    preview = viewer_client.get(reverse("inspector:collect"))
    assert preview.status_code == 200
    assert "needs the <code>inspector.run_collection</code> permission" in preview.content.decode()
    assert viewer_client.post(reverse("inspector:collect"), {}).status_code == 403
    assert CollectionRun.objects.count() == 0
    queued = CollectionRun.objects.create()
    assert viewer_client.post(reverse("inspector:run-cancel", args=[queued.pk])).status_code == 403
    assert CollectionRun.objects.get().phase == Phase.QUEUED


def test_csrf_is_required(project: Collected, runner: AbstractUser) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(runner)
    assert strict.post(reverse("inspector:collect"), {}).status_code == 403
    assert CollectionRun.objects.count() == 0


def test_history_filters_and_exports_safely(
    runner_client: Client, django_user_model: type[AbstractUser]
) -> None:
    CollectionRun.objects.create(
        phase=Phase.DONE, active=None, requested_by_name="=HYPERLINK(1)", copied=4
    )
    CollectionRun.objects.create(phase=Phase.FAILED, active=None, requested_by_name="bob")
    page = runner_client.get(reverse("inspector:runs") + "?phase=failed").content.decode()
    assert "bob" in page and "HYPERLINK" not in page
    exported = runner_client.get(reverse("inspector:runs") + "?_export=csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert len(rows) == 2
    assert {row["requested_by"] for row in rows} == {"'=HYPERLINK(1)", "bob"}
    assert runner_client.get(reverse("inspector:runs") + "?_export=xlsx").status_code == 400
    assert runner_client.get(reverse("inspector:run", args=[999])).status_code == 404
