"""Pages and exports are never kept by a shared cache, and render under a strict
Content-Security-Policy (issue 15, item 17)."""

from __future__ import annotations

import re
from typing import Any

import django
import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_file(layout: Layout) -> Layout:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    return layout


def pages() -> list[str]:
    run = CollectionRun.objects.create(phase=Phase.DONE, active=None, storage="s")
    paths = reverse("inspector:paths")
    return [
        reverse("inspector:overview"),
        paths,
        paths + "?q=site",
        paths + "?_export=csv",
        paths + "?_export=json",
        reverse("inspector:path", args=["css/site.css"]),
        reverse("inspector:collect"),
        reverse("inspector:runs"),
        reverse("inspector:runs") + "?_export=csv",
        reverse("inspector:run", args=[run.pk]),
    ]


def get_all(client: Client, layout: Layout, **extra: Any) -> dict[str, Any]:
    with layout.settings(apps=["js_lib_htmx"], dirs=[str(layout.root / "project")], **extra):
        urls = pages()
        found = {url: client.get(url) for url in urls}
        found["htmx fragment"] = client.get(urls[2], headers={"HX-Request": "true"})
    return found


def test_pages_and_exports_are_private_and_not_stored(
    viewer_client: Client, one_file: Layout
) -> None:
    for url, response in get_all(viewer_client, one_file).items():
        assert response.status_code == 200, url
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, url


def test_posts_answer_private_and_not_stored(
    client: Client, django_user_model: type[AbstractUser], one_file: Layout
) -> None:
    admin = django_user_model.objects.create_superuser("admin", password="x")
    client.force_login(admin)
    with one_file.settings(dirs=[str(one_file.root / "project")]):
        response = client.post(reverse("inspector:recheck"))
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]


def test_pages_tell_htmx_to_inject_no_style(viewer_client: Client, one_file: Layout) -> None:
    with one_file.settings(dirs=[str(one_file.root / "project")]):
        page = viewer_client.get(reverse("inspector:overview")).content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in page


STRICT = {"default-src": ["'self'"], "img-src": ["'self'", "data:"]}


@pytest.mark.skipif(django.VERSION < (6, 0), reason="Django 6's own CSP middleware")
def test_every_page_under_djangos_csp_middleware(viewer_client: Client, one_file: Layout) -> None:
    middleware = [*settings.MIDDLEWARE, "django.middleware.csp.ContentSecurityPolicyMiddleware"]
    found = get_all(viewer_client, one_file, MIDDLEWARE=middleware, SECURE_CSP=STRICT)
    for url, response in found.items():
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"].startswith("default-src 'self'"), url
        if not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        # What 'self' alone refuses: inline code and styles, and files from elsewhere.
        assert not re.search(r"<style|<script(?![^>]*\ssrc=)|\sstyle=|\son\w+=", html), url
        for src in re.findall(r'(?:src|href)="(https?:[^"]*)"', html):
            pytest.fail(f"{url} loads {src} from another origin")
