"""The collection pages' words and states: the phase filter says "post-processing", a queued
run shows no progress bar, a finished run lists the files it changed, and the ignored paths read
as a sentence."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"


def test_the_phase_filter_says_post_processing(viewer_client: Client) -> None:
    page = viewer_client.get(reverse("inspector:runs")).content.decode()
    assert 'value="post-processing"' in page
    assert "> post-processing</label>" in page
    assert "Post Processing" not in page


def test_a_queued_run_shows_no_progress_bar(viewer_client: Client) -> None:
    run = CollectionRun.objects.create()
    page = viewer_client.get(reverse("inspector:run", args=[run.pk])).content.decode()
    assert "Waiting for a worker" in page
    assert "<progress" not in page, "nothing has started: no bar that reads as progress"


def test_a_finished_run_lists_the_files_it_changed(viewer_client: Client) -> None:
    run = CollectionRun.objects.create(
        phase=Phase.DONE,
        active=None,
        storage="s",
        copied=3,
        replaced=["css/site.css", "js/app.js"],
    )
    page = viewer_client.get(reverse("inspector:run", args=[run.pk])).content.decode()
    changes = page[page.index('id="run-changes-title"') :]
    assert "Files this run changed" in page and "(2)" in changes
    assert '<a href="/assets/paths/css/site.css"><code><bdi>css/<wbr>site.<wbr>css' in changes
    assert '<a href="/assets/paths/js/app.js">' in changes


def test_the_ignored_paths_read_as_a_sentence(viewer_client: Client, layout: Layout) -> None:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    layout.write(project, "css/.draft.css", "body {}")
    with layout.settings(dirs=[project]):
        page = viewer_client.get(reverse("inspector:collect")).content.decode()
    assert "Development serves 1 path that collection never copies (ignore patterns)." in page
    assert "development serves are never collected" not in page


def test_the_confirmation_belongs_to_clear(
    client: Client, runner: AbstractUser, layout: Layout
) -> None:
    client.force_login(runner)
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    with layout.settings(dirs=[project]):
        page = client.get(reverse("inspector:collect")).content.decode()
    assert '<p class="confirm-clear">' in page, "shown by CSS only while Clear is ticked"
    assert '<span class="with-clear">Clear the storage and collect</span>' in page


def test_post_processing_one_file_reads_in_the_singular(
    viewer_client: Client, layout: Layout
) -> None:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    storages = {"staticfiles": {"BACKEND": manifest}}
    with layout.settings(dirs=[project], finders=[FS], STORAGES=storages):
        page = viewer_client.get(reverse("inspector:collect")).content.decode()
    assert "the hashed copies and the manifest for the 1 collected file;" in page
    assert "1 collected files" not in page
