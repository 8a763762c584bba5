"""What a user who may not see a page gets: the inspector's layout, saying what is missing and
who can grant it; and an address the inspector does not know gets its 404 in the same layout."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from tests.support.fixtures import view_permission
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
LAYOUT_MARK = 'class="brand"'


@pytest.fixture
def small(layout: Layout) -> Layout:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    return layout


def test_staff_without_the_view_permission_is_told_which_and_who_grants_it(
    client: Client, django_user_model: type[AbstractUser], small: Layout
) -> None:
    client.force_login(django_user_model.objects.create_user("staff", is_staff=True))
    with small.settings(dirs=[small.root / "project"]):
        response = client.get(reverse("inspector:paths"))
    page = response.content.decode()
    assert response.status_code == 403
    assert LAYOUT_MARK in page, "the inspector's layout, not a bare 403"
    assert "<code>inspector.view_assets</code>" in page
    assert "superuser" in page and "Users" in page and "Groups" in page
    assert "Staff status" not in page, "they are staff already"
    assert "css/site.css" not in page


def test_a_user_without_staff_status_is_told_so(
    client: Client, django_user_model: type[AbstractUser], small: Layout
) -> None:
    user = django_user_model.objects.create_user("plain")
    user.user_permissions.add(view_permission())
    client.force_login(user)
    with small.settings(dirs=[small.root / "project"]):
        response = client.get(reverse("inspector:overview"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Staff status" in page
    assert "inspector.view_assets" not in page, "they have that one"


def test_a_viewer_who_starts_a_collection_is_told_to_ask_for_run_collection(
    viewer_client: Client, small: Layout
) -> None:
    with small.settings(dirs=[small.root / "project"]):
        response = viewer_client.post(reverse("inspector:collect"), {"confirm": "x"})
        cancel = viewer_client.post(reverse("inspector:run-cancel", args=[1]))
    for refused in (response, cancel):
        page = refused.content.decode()
        assert refused.status_code == 403
        assert LAYOUT_MARK in page
        assert "<code>inspector.run_collection</code>" in page
        assert "start a collection" in page
        assert "inspector.view_assets" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/assets/no-such-page/",
        "/assets/paths/css/nothing-here.css",
        "/assets/collect/runs/2147483647/",  # no run gets this id in a test session
    ],
)
def test_an_unknown_address_gets_a_404_in_the_layout(
    viewer_client: Client, small: Layout, url: str
) -> None:
    with small.settings(dirs=[small.root / "project"]):
        response = viewer_client.get(url)
    page = response.content.decode()
    assert response.status_code == 404
    assert LAYOUT_MARK in page
    assert reverse("inspector:overview") in page


def test_an_unknown_address_is_not_shown_to_anonymous_users(client: Client, small: Layout) -> None:
    with small.settings(dirs=[small.root / "project"]):
        response = client.get("/assets/no-such-page/")
    assert response.status_code == 302, "to log in, like every page"
