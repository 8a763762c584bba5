"""Collection from the dashboard in real Chromium, with a real ``db_worker`` doing the work: from
the overview's "files differ" to the preview, start, watch the bar reach 100 %, and land on the
updated dashboard. Saves the screenshots of the preview and of the finished run."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from playwright.sync_api import Page, Request, Route, expect

from inspector.models import CollectionRun, Phase
from tests.support.collect_project import Project, collected_project, drift
from tests.support.layout import Layout
from tests.support.workers import db_worker

pytestmark = pytest.mark.django_db(transaction=True)

# Most of the project's scripts: at SAVE_DELAY a write, copying them takes about two seconds and
# post-processing (which rewrites every script and stylesheet on each pass) about six, so the
# once-a-second poll sees the bar move.
DRIFTED = 100
RUN_LIMIT = 60.0
SAMPLE_SECONDS = 0.1
# Longer than two poll intervals: a poll still running would have fired by then.
QUIET_MS = 2_500


@pytest.fixture
def watched_project(layout: Layout, tmp_path: Path) -> Iterator[Project]:
    # The pages load htmx from js_lib_htmx; without it nothing would poll.
    with collected_project(layout, tmp_path / "worker.log", apps=["js_lib_htmx"]) as project:
        yield project


def serve_collected(page: Page, root: Path) -> None:
    """Answer STATIC_URL from the collected files, as a production web server does.

    With DEBUG off the manifest storage hands out hashed URLs, which the live server's finders
    cannot serve: only the collection holds those names.
    """
    prefix = settings.STATIC_URL

    def fulfil(route: Route) -> None:
        name = unquote(urlsplit(route.request.url).path).removeprefix(prefix)
        file = (root / name).resolve()
        if file.is_file() and file.is_relative_to(root.resolve()):
            route.fulfill(path=file)
        else:
            route.fulfill(status=404, body="not collected")

    page.route(re.compile(rf"^https?://[^/]+{re.escape(prefix)}"), fulfil)


def watch_bar(page: Page, worker: subprocess.Popen[bytes], log: Path) -> list[tuple[str, int]]:
    """Sample the progress bar until it shows 100; return every (phase, value) seen."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + RUN_LIMIT
    while not seen or seen[-1][1] < 100:
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited ({worker.returncode}):\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {RUN_LIMIT:g} s at {seen}:\n{log.read_text()}")
        # Read both in one evaluation: an htmx swap between two reads would mix two fragments.
        state = page.evaluate(
            """() => {
                const bar = document.querySelector('#run-progress progress');
                const badge = document.querySelector('#run-progress .badge');
                return bar && badge ? [badge.textContent.trim(), bar.value] : null;
            }"""
        )
        if state is not None:
            phase, value = state[0], int(state[1])
            if not seen or seen[-1] != (phase, value):
                seen.append((phase, value))
        page.wait_for_timeout(SAMPLE_SECONDS * 1000)
    return seen


def test_from_the_overview_to_a_finished_run_and_back(
    page: Page,
    live_server: Any,
    log_in_as: Callable[[Page, AbstractUser], None],
    runner: AbstractUser,
    watched_project: Project,
    screenshot_dir: Path,
) -> None:
    edited = drift(watched_project, DRIFTED)
    serve_collected(page, watched_project.root)
    log_in_as(page, runner)
    run_path = re.compile(r"/assets/collect/runs/(\d+)/$")
    polls: list[str] = []

    def count_poll(request: Request) -> None:
        if request.headers.get("hx-request") and run_path.search(urlsplit(request.url).path):
            polls.append(request.url)

    page.on("request", count_poll)

    # Started first: the worker boots Django while the browser reads the overview and preview.
    with db_worker(watched_project.log) as worker:
        page.goto(f"{live_server.url}/assets/")
        summary = page.locator("p.collect-link")
        expect(summary).to_contain_text(f"{len(edited)} files differ from what is collected")
        expect(summary).not_to_contain_text("last run")
        summary.get_by_role("link", name="Preview collection").click()

        page.wait_for_url("**/assets/collect/")
        expect(page.locator(".plan-counts li.live-missing")).to_have_text(f"{len(edited)} to copy")
        expect(page.locator("#plan-copy")).to_contain_text(f"({len(edited)})")
        page.screenshot(path=screenshot_dir / "collect-preview.png")

        # Submitting with the keyboard: the button must be reachable and act on Enter.
        page.get_by_role("button", name="Start collection").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(run_path)
        match = run_path.search(urlsplit(page.url).path)
        assert match is not None
        run = CollectionRun.objects.get(pk=int(match[1]))
        expect(page.get_by_role("heading", name=f"Collection run #{run.pk}")).to_be_visible()
        # An htmx swap keeps this mark; a reload of the page would lose it.
        page.evaluate("window.__sameDocument = true")
        expect(page.locator("#run-progress")).to_have_attribute("hx-trigger", "every 1s")

        seen = watch_bar(page, worker, watched_project.log)
        assert worker.poll() is None, "the worker died"

    values = [value for _, value in seen]
    assert values == sorted(values), f"the bar went back: {seen}"
    assert values[-1] == 100
    # Copying alone lasts a few polls, so the bar must have been seen between its ends twice.
    assert len({v for v in values if 0 < v < 100}) >= 2, f"the bar hardly moved: {seen}"
    phases = [phase for phase, _ in seen]
    assert Phase.COPYING in phases or Phase.POST_PROCESSING in phases, seen
    assert phases[-1] == Phase.DONE
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded instead of swapping"
    expect(page.locator("#run-phase")).to_contain_text("Done in")
    expect(page.locator("#run-progress .percent")).to_have_text("100%")
    run.refresh_from_db()
    assert (run.phase, run.copied) == (Phase.DONE, len(edited)), run.error

    # The final fragment carries no trigger, so the polling stops.
    assert page.locator("#run-progress").get_attribute("hx-trigger") is None
    assert polls, "htmx never polled the run"
    polled = len(polls)
    page.wait_for_timeout(QUIET_MS)
    assert len(polls) == polled, f"htmx kept polling after the run ended: {polls[polled:]}"
    page.screenshot(path=screenshot_dir / "run-done.png")

    page.get_by_role("link", name="See the updated dashboard").click()
    page.wait_for_url("**/assets/")
    summary = page.locator("p.collect-link")
    expect(summary).to_contain_text(f"last run #{run.pk}: done")
    expect(summary).not_to_contain_text("differ")
