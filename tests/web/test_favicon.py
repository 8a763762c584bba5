"""The inspector's pages carry their own icon, so a browser asks for no /favicon.ico (a 404)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from tests.support.layout import Layout

pytestmark = pytest.mark.django_db


def icon_url(page: str) -> str:
    found = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
    assert found, "every page links an icon"
    return found.group(1).replace("&amp;", "&")


def test_every_page_links_an_svg_icon_that_answers(viewer_client: Client, layout: Layout) -> None:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    with layout.settings(dirs=[project]):
        page = viewer_client.get(reverse("inspector:paths")).content.decode()
    url = icon_url(page)
    assert url.startswith(reverse("inspector:asset", args=["favicon.svg"]))
    icon = viewer_client.get(url)
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in icon.content


def test_the_refusal_page_is_drawn_with_its_stylesheet_and_icon(
    client: Client, django_user_model: type[AbstractUser], layout: Layout
) -> None:
    client.force_login(django_user_model.objects.create_user("staff", is_staff=True))
    with layout.settings():
        page = client.get(reverse("inspector:overview"))
    assert page.status_code == 403
    assert client.get(icon_url(page.content.decode())).status_code == 200
    assert client.get(reverse("inspector:asset", args=["inspector.css"])).status_code == 200


def test_anonymous_users_get_no_own_file(client: Client) -> None:
    assert client.get(reverse("inspector:asset", args=["favicon.svg"])).status_code == 302
