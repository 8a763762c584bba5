"""Pages never wait for a check of the files: the first one builds in the background behind a
progress page, later ones show the last layers while a re-check runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from django.test import Client, override_settings
from django.urls import reverse

from inspector.core.layers import current_layers
from tests.support.layout import Layout, age

pytestmark = pytest.mark.django_db


class GatedFinder(BaseFinder):
    """A slow custom finder (a build step, a network share): listing waits for the gate."""

    gate = threading.Event()
    listed = 0
    folder = ""

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        return [] if find_all else None

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        if not ignore_patterns:
            type(self).listed += 1
        assert self.gate.wait(30), "the test never opened the gate"
        storage = FileSystemStorage(location=self.folder)
        yield "slow/built.js", storage


GATED = f"{__name__}.GatedFinder"
FS = "django.contrib.staticfiles.finders.FileSystemFinder"


@pytest.fixture
def gated(layout: Layout, request: pytest.FixtureRequest) -> Iterator[str]:
    folder = layout.folder("built")
    layout.write(folder, "slow/built.js", "built()\n")
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}\n")
    age(folder, project)
    GatedFinder.folder, GatedFinder.listed = str(folder), 0
    GatedFinder.gate.clear()
    config = {"CACHE": "inspector", "RECHECK_SECONDS": getattr(request, "param", 600)}
    with (
        layout.settings(dirs=[project], finders=[FS, GATED]),
        override_settings(ASSET_INSPECTOR=config),
    ):
        try:
            yield str(project)
        finally:
            GatedFinder.gate.set()
            wait_for(lambda: not building_threads())


def building_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "inspector-layers" and t.is_alive()]


def wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def test_a_cold_page_shows_progress_and_the_build_serves_the_next_page(
    viewer_client: Client, gated: str
) -> None:
    url = reverse("inspector:paths")
    first = viewer_client.get(url)
    assert first.status_code == 202
    body = first.content.decode()
    assert "Checking the static files for the first time" in body
    assert 'hx-trigger="every 1s"' in body and "X-Inspector-Poll" in body
    # A second page during the build shares it: still one build, one listing.
    poll = viewer_client.get(
        reverse("inspector:overview"), headers={"HX-Request": "true", "X-Inspector-Poll": "1"}
    )
    assert poll.status_code == 202 and "<html" not in poll.content.decode()
    assert "listing and stat" in poll.content.decode()
    assert len(building_threads()) == 1 and GatedFinder.listed == 1
    GatedFinder.gate.set()
    wait_for(lambda: not building_threads())
    # The poll that finds the layers ready asks htmx to reload the page.
    ready = viewer_client.get(url, headers={"HX-Request": "true", "X-Inspector-Poll": "1"})
    assert ready.status_code == 200 and ready["HX-Refresh"] == "true"
    page = viewer_client.get(url)
    assert page.status_code == 200 and "slow/built.js" in page.content.decode()
    assert GatedFinder.listed == 1, "the page used the background build's layers"
    built = current_layers(max_age=current_layers.__kwdefaults__["max_age"], stale_ok=True)
    assert built.get("slow/built.js") is not None


@pytest.mark.parametrize("gated", [0.2], indirect=True)
def test_pages_show_the_last_layers_while_a_recheck_runs(
    viewer_client: Client, layout: Layout, gated: str
) -> None:
    GatedFinder.gate.set()
    url = reverse("inspector:paths")
    wait_for(lambda: viewer_client.get(url).status_code == 200)
    wait_for(lambda: not building_threads())
    GatedFinder.gate.clear()  # the next check takes as long as the gate stays shut
    listed = GatedFinder.listed
    time.sleep(0.5)  # past RECHECK_SECONDS, and past the last check's own duration
    page = viewer_client.get(url)
    assert page.status_code == 200, "the page waited for the re-check"
    wait_for(lambda: GatedFinder.listed == listed + 1)
    assert building_threads(), "the re-check runs in the background"
    again = viewer_client.get(reverse("inspector:overview"))
    assert again.status_code == 200 and len(building_threads()) == 1
    GatedFinder.gate.set()
    wait_for(lambda: not building_threads())


def test_recheck_now_waits_for_the_check(viewer_client: Client, layout: Layout, gated: str) -> None:
    GatedFinder.gate.set()
    url = reverse("inspector:paths")
    wait_for(lambda: viewer_client.get(url).status_code == 200)
    layout.write(layout.root / "project", "css/added.css", "h1 {}\n")
    listed = GatedFinder.listed
    response = viewer_client.post(reverse("inspector:recheck"), {"next": url})
    assert response.status_code == 302
    assert GatedFinder.listed == listed + 1, "the check ran in the request"
    assert "css/added.css" in viewer_client.get(url).content.decode()


def test_the_summary_json_says_how_far_the_first_check_got_then_counts(
    viewer_client: Client, gated: str
) -> None:
    url = reverse("inspector:summary")
    building = viewer_client.get(url)
    assert building.status_code == 202
    assert building.json()["building"]["step"].startswith("listing")
    GatedFinder.gate.set()
    wait_for(lambda: not building_threads())
    ready = viewer_client.get(url)
    assert ready.status_code == 200 and ready["Cache-Control"] == "private, no-store"
    body = ready.json()
    assert body["paths"] == 2 and body["status"]["unique"] == 2
    assert body["checked"]["sources"] and body["last_run"] is None
