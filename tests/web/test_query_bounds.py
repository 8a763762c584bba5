"""Page sizes and page numbers from the query string stay within bounds (issue 15, item 9)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_files(layout: Layout) -> Layout:
    project = layout.folder("project")
    for name in ("a.css", "b.css", "c.css"):
        layout.write(project, name, name)
    return layout


@pytest.mark.parametrize("query", ["per_page=-5", "per_page=0", "page=-5", "page=abc&per_page=x"])
@pytest.mark.parametrize("page", ["inspector:paths", "inspector:runs"])
def test_a_page_size_or_number_out_of_range_falls_back(
    viewer_client: Client, three_files: Layout, page: str, query: str
) -> None:
    with three_files.settings(dirs=[str(three_files.root / "project")]):
        response = viewer_client.get(f"{reverse(page)}?{query}")
    assert response.status_code == 200


def test_the_run_history_caps_its_page_size(
    viewer_client: Client, viewer: AbstractUser, three_files: Layout
) -> None:
    CollectionRun.objects.bulk_create(
        CollectionRun(phase=Phase.DONE, active=None, storage="s") for _ in range(7)
    )
    with three_files.settings(
        dirs=[str(three_files.root / "project")], ASSET_INSPECTOR={"MAX_PAGE_SIZE": 3}
    ):
        response = viewer_client.get(reverse("inspector:runs") + "?per_page=100000")
    assert response.status_code == 200
    shown = re.findall(r'href="/assets/collect/runs/(\d+)/"', response.content.decode())
    assert len(set(shown)) == 3


def test_the_paths_table_caps_its_page_size(viewer_client: Client, three_files: Layout) -> None:
    with three_files.settings(
        dirs=[str(three_files.root / "project")], ASSET_INSPECTOR={"MAX_PAGE_SIZE": 2}
    ):
        response = viewer_client.get(reverse("inspector:paths") + "?per_page=100000")
    assert response.status_code == 200
    assert len(re.findall(r'<td><a href="/assets/paths/', response.content.decode())) == 2
