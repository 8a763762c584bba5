"""The releases on the dashboard: the overview's section, ``/assets/releases/?a=…&b=…``."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from inspector.core import caches
from tests.support.layout import Layout, collected_app
from tests.support.releases import ADDED, CHANGED, REMOVED, Releases, two_releases

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["option", "git"])
def releases(request: pytest.FixtureRequest, layout: Layout) -> Iterator[Releases]:
    with two_releases(layout, request.param) as collected:
        yield collected


def section(page: str, title_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{title_id}">(.*?)</section>', page, re.S)
    assert found is not None, title_id
    return found.group(1)


def rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)[1:]


def test_the_overview_lists_both_releases_and_marks_the_configured_one(
    releases: Releases, viewer_client: Client
) -> None:
    page = viewer_client.get(reverse("inspector:overview")).content.decode()
    found = rows(section(page, "releases-title"))
    assert len(found) == 2
    newest, older = found
    assert f"<code>{releases.second}</code>" in newest and "configured now" in newest
    assert f"<code>{releases.first}</code>" in older and "configured now" not in older
    for row, release in ((newest, releases.second), (older, releases.first)):
        entries = len(json.loads(releases.manifest_of(release).read_text())["paths"])
        assert f'<td class="num">{entries}</td>' in row
        assert "<time datetime=" in row
        assert "severity-ok" in row


def test_a_release_whose_files_were_cleared_is_an_error_row(
    releases: Releases, viewer_client: Client
) -> None:
    old = json.loads(releases.manifest_of(releases.first).read_text())["paths"]
    (releases.root / old["js/app.js"]).unlink()
    caches.clear()
    page = viewer_client.get(reverse("inspector:overview")).content.decode()
    _, older = rows(section(page, "releases-title"))
    assert "severity-error" in older and "release-files-missing" in older
    assert old["js/app.js"] in older  # the missing file is named
    assert "rollback to it breaks those pages" in unescape(older)


def test_the_comparison_page_lists_exactly_the_changed_paths_with_links(
    releases: Releases, viewer_client: Client
) -> None:
    url = reverse("inspector:releases")
    response = viewer_client.get(url, {"a": releases.first, "b": releases.second})
    assert response.status_code == 200
    page = response.content.decode()
    table = re.search(r'<table class="release-changes">(.*?)</table>', page, re.S)
    assert table is not None
    shown = {}
    for row in rows(table.group(1)):
        link = re.search(r'<a href="([^"]+)"><code><bdi>([^<]+)</bdi></code></a>', row)
        assert link is not None, row  # every changed path is a row the inspector lists
        assert link.group(1) == reverse("inspector:path", args=[link.group(2)])
        shown[link.group(2)] = re.search(r'class="badge change-(\w+)"', row).group(1)  # type: ignore[union-attr]
    assert shown == {
        **dict.fromkeys(CHANGED, "changed"),
        **dict.fromkeys(ADDED, "added"),
        **dict.fromkeys(REMOVED, "removed"),
    }
    assert f"{len(shown)}</strong> paths differ from <code>{releases.first}</code>" in page
    # Without a choice, the page compares the newest other release with the configured one.
    default = viewer_client.get(url).content.decode()
    assert f"from <code>{releases.first}</code> to <code>{releases.second}</code>" in default


def test_an_unknown_release_is_a_clear_400(releases: Releases, viewer_client: Client) -> None:
    response = viewer_client.get(
        reverse("inspector:releases"), {"a": releases.first, "b": "<b>nope</b>"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "To release: Select a valid choice." in page
    assert "<b>nope</b>" not in page


def test_a_release_folder_name_is_escaped(releases: Releases, viewer_client: Client) -> None:
    odd = "<img src=x onerror=alert(1)>"
    (releases.root / odd).mkdir()
    shutil.copy(releases.manifest_of(releases.first), releases.root / odd / "staticfiles.json")
    caches.clear()
    page = viewer_client.get(reverse("inspector:releases")).content.decode()
    assert odd not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_dropping_a_release_lists_its_files_as_reclaimable(
    releases: Releases, viewer_client: Client
) -> None:
    old = json.loads(releases.manifest_of(releases.first).read_text())["paths"]
    shutil.rmtree(releases.root / releases.first)
    caches.clear()
    page = viewer_client.get(reverse("inspector:releases")).content.decode()
    gone = sorted(old[path] for path in CHANGED | set(REMOVED))
    reclaimable = section(page, "reclaimable-title")
    assert f"<strong>{len(gone)}</strong> old hashed files" in reclaimable
    for name in gone:
        assert f"<code><bdi>{name}</bdi></code>" in reclaimable
        assert (releases.root / name).exists()  # listed, never deleted
    overview = viewer_client.get(reverse("inspector:overview")).content.decode()
    assert f"<strong>{len(gone)}</strong> old hashed files that no kept release names" in overview


def test_a_storage_without_releases(layout: Layout, viewer_client: Client) -> None:
    backend = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    with collected_app(layout, "plain", {"a.css": "a {}\n"}, backend):
        overview = viewer_client.get(reverse("inspector:overview")).content.decode()
        page = viewer_client.get(reverse("inspector:releases"))
    assert 'id="releases-title"' not in overview
    assert page.status_code == 200
    assert "keeps one manifest, not one per release" in page.content.decode()


def test_the_page_is_for_staff_with_the_permission(releases: Releases, client: Client) -> None:
    url = reverse("inspector:releases")
    assert client.get(url).status_code == 302  # to log in
