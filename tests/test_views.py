"""The ``/assets/`` overview: who may see it, what it shows, and that file names stay inert."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser, Permission
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from .layout import Layout

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"


def view_permission() -> Permission:
    return Permission.objects.get(codename="view_assets", content_type__app_label="inspector")


@pytest.fixture
def small(layout: Layout) -> Layout:
    """A one-file layout, so permission tests do not depend on the demo's files."""
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    return layout


@pytest.fixture
def viewer(django_user_model: type[AbstractUser]) -> AbstractUser:
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(view_permission())
    return user


def get_overview(client: Client, layout: Layout, **settings_kwargs: Any) -> HttpResponse:
    with layout.settings(**settings_kwargs):
        return client.get(reverse("inspector:overview"))


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.tags.append(dict(attrs))


# --- permissions ----------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client: Client, small: Layout) -> None:
    response = get_overview(client, small, dirs=[small.root / "project"])
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == resolve_url(settings.LOGIN_URL)
    assert parse_qs(location.query)["next"] == [reverse("inspector:overview")]


def test_non_staff_is_refused_even_with_the_permission(
    client: Client, django_user_model: type[AbstractUser], small: Layout
) -> None:
    user = django_user_model.objects.create_user("plain", password="x")
    user.user_permissions.add(view_permission())
    client.force_login(user)
    response = get_overview(client, small, dirs=[small.root / "project"])
    assert response.status_code == 403
    assert b"css/site.css" not in response.content


def test_staff_without_the_permission_is_refused(
    client: Client, django_user_model: type[AbstractUser], small: Layout
) -> None:
    user = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(user)
    response = get_overview(client, small, dirs=[small.root / "project"])
    assert response.status_code == 403
    assert b"css/site.css" not in response.content


def test_staff_with_the_permission_sees_the_page(
    client: Client, viewer: AbstractUser, small: Layout
) -> None:
    client.force_login(viewer)
    response = get_overview(client, small, dirs=[small.root / "project"])
    assert response.status_code == 200
    assert "css/site.css" in response.content.decode()


def test_superuser_sees_the_page(
    client: Client, django_user_model: type[AbstractUser], small: Layout
) -> None:
    admin = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin)
    response = get_overview(client, small, dirs=[small.root / "project"])
    assert response.status_code == 200
    assert "css/site.css" in response.content.decode()


# --- content --------------------------------------------------------------------------------


def test_lists_a_conflict_with_its_winner_and_shadowed_sources(
    client: Client, viewer: AbstractUser, layout: Layout
) -> None:
    theme, theme_static = layout.app("theme")
    base, base_static = layout.app("base")
    layout.write(theme_static, "admin/css/base.css", "body { color: red }")
    layout.write(base_static, "admin/css/base.css", "body { color: blue; margin: 0 }")
    client.force_login(viewer)
    html = get_overview(client, layout, apps=[theme, base]).content.decode()
    assert "admin/css/base.css" in html
    # The conflict row names the winner, then the source it hides.
    row = html[html.index("admin/css/base.css") :]
    row = row[: row.index("</tr>")]
    assert "conflict" in row
    assert f"app:{theme}" in row and f"app:{base}" in row
    assert row.index(f"app:{theme}") < row.index(f"app:{base}")


def test_shows_an_error_for_a_missing_staticfiles_dir(
    client: Client, viewer: AbstractUser, layout: Layout
) -> None:
    present = layout.folder("present")
    layout.write(present, "css/site.css", "body {}")
    missing = layout.root / "not-there"
    client.force_login(viewer)
    html = get_overview(client, layout, dirs=[present, missing], finders=[FS]).content.decode()
    assert "css/site.css" in html, "a missing folder must not hide the other sources"
    assert str(missing) in html
    assert "does not exist" in html, "the missing folder is not reported as an error"

    missing.mkdir()
    healthy = get_overview(client, layout, dirs=[present, missing], finders=[FS])
    assert "does not exist" not in healthy.content.decode()


HOSTILE = ["<script>alert(1)</script>.js", "\"'.css", "<img src=x onerror=alert(2)>.png"]


def test_hostile_file_names_are_rendered_inert(
    client: Client, viewer: AbstractUser, layout: Layout
) -> None:
    project = layout.folder("project")
    for name in HOSTILE:
        layout.write(project, name, "x")
    client.force_login(viewer)
    html = get_overview(client, layout, dirs=[project], finders=[FS]).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.js" in html
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    for name in HOSTILE:
        assert escape(name) in html, f"{name!r} missing or not escaped"
    assert "\"'.css" not in html


def test_empty_layout_renders_the_empty_state(
    client: Client, viewer: AbstractUser, layout: Layout
) -> None:
    empty = layout.folder("empty")
    client.force_login(viewer)
    response = get_overview(client, layout, dirs=[empty], finders=[FS])
    assert response.status_code == 200
    html = response.content.decode()
    assert "0 paths" in html
    assert "No unique paths." in html


def test_no_sources_at_all_renders_200(
    client: Client, viewer: AbstractUser, layout: Layout
) -> None:
    client.force_login(viewer)
    response = get_overview(client, layout, finders=[FS])
    assert response.status_code == 200
    assert "0 paths" in response.content.decode()


def test_page_has_no_inline_script(client: Client, viewer: AbstractUser, layout: Layout) -> None:
    project = layout.folder("project")
    layout.write(project, "<script>alert(1)</script>.js", "x")
    client.force_login(viewer)
    html = get_overview(client, layout, dirs=[project], finders=[FS]).content.decode()
    parser = _Scripts()
    parser.feed(html)
    inline = [attrs for attrs in parser.tags if not attrs.get("src")]
    assert not inline, f"design.md forbids inline scripts, found {len(inline)}"
    for attr in ("onclick=", "onload=", "onerror=", "javascript:"):
        assert attr not in html.lower(), attr


def test_demo_project_page_lists_its_planted_conflict(client: Client, viewer: AbstractUser) -> None:
    from django.contrib.staticfiles import finders

    found = finders.find("admin/css/base.css", find_all=True)
    assert len(found) >= 2 and Path(found[0]).read_bytes() != Path(found[1]).read_bytes()
    client.force_login(viewer)
    response = client.get(reverse("inspector:overview"))
    assert response.status_code == 200
    assert "admin/css/base.css" in response.content.decode()


def test_detail_page_shows_every_candidate_with_its_md5(
    client: Client, layout: Layout, viewer: AbstractUser
) -> None:
    import hashlib

    first = layout.folder("first")
    second = layout.folder("second")
    layout.write(first, "css/site.css", "body { color: red }")
    layout.write(second, "css/site.css", "body { color: blue }")
    client.force_login(viewer)
    with layout.settings(dirs=[first, second]):
        response = client.get(reverse("inspector:path", args=["css/site.css"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(str(first)) < body.index(str(second))
    assert hashlib.md5(b"body { color: red }").hexdigest() in body
    assert hashlib.md5(b"body { color: blue }").hexdigest() in body
    assert "differs" in body


@pytest.mark.parametrize(
    "path",
    [
        "css/nope.css",
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "/etc/passwd",
        "css/../../first/css/site.css",
    ],
)
def test_detail_page_is_404_for_anything_the_inventory_does_not_list(
    client: Client, layout: Layout, viewer: AbstractUser, path: str
) -> None:
    first = layout.folder("first")
    layout.write(first, "css/site.css", "x")
    client.force_login(viewer)
    with layout.settings(dirs=[first]):
        response = client.get("/assets/paths/" + path)
    assert response.status_code == 404


def test_detail_page_reaches_a_name_with_a_newline(
    client: Client, layout: Layout, viewer: AbstractUser
) -> None:
    first = layout.folder("first")
    layout.write(first, "odd\nname <b>.css", "x")
    client.force_login(viewer)
    with layout.settings(dirs=[first]):
        overview = client.get(reverse("inspector:overview")).content.decode()
        link = reverse("inspector:path", args=["odd\nname <b>.css"])
        assert f'href="{link}"' in overview
        response = client.get(link)
    assert response.status_code == 200
    assert "odd\nname &lt;b&gt;.css" in response.content.decode()
