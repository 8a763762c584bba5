"""Who may open the dashboard's pages, and what the ``/assets/`` overview shows."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from tests.support.fixtures import view_permission
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
PAGES = [
    reverse("inspector:overview"),
    reverse("inspector:paths"),
    reverse("inspector:paths") + "?_export=csv",
    reverse("inspector:path", args=["css/site.css"]),
]
# The collection pages: the same permissions (starting a run needs more: test_collection.py).
COLLECT_PAGES = [
    reverse("inspector:collect"),
    reverse("inspector:collect") + "?clear=1",
    reverse("inspector:runs"),
    reverse("inspector:runs") + "?_export=csv",
]
ALL_PAGES = PAGES + COLLECT_PAGES


@pytest.fixture
def small(layout: Layout) -> Layout:
    """A one-file layout: the page of one path needs a path to show."""
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    return layout


def get(client: Client, layout: Layout, url: str, **settings_kwargs: Any) -> HttpResponse:
    with layout.settings(**settings_kwargs):
        return client.get(url)


def get_overview(client: Client, layout: Layout, **settings_kwargs: Any) -> HttpResponse:
    return get(client, layout, reverse("inspector:overview"), **settings_kwargs)


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.tags.append(dict(attrs))


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ALL_PAGES)
def test_anonymous_is_sent_to_log_in(client: Client, small: Layout, url: str) -> None:
    response = get(client, small, url, dirs=[small.root / "project"])
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == resolve_url(settings.LOGIN_URL)
    assert parse_qs(location.query)["next"] == [url]


@pytest.mark.parametrize("url", ALL_PAGES)
def test_non_staff_is_refused_even_with_the_permission(
    client: Client, django_user_model: type[AbstractUser], small: Layout, url: str
) -> None:
    user = django_user_model.objects.create_user("plain", password="x")
    user.user_permissions.add(view_permission())
    client.force_login(user)
    response = get(client, small, url, dirs=[small.root / "project"])
    assert response.status_code == 403
    assert b"css/site.css" not in response.content


@pytest.mark.parametrize("url", ALL_PAGES)
def test_staff_without_the_permission_is_refused(
    client: Client, django_user_model: type[AbstractUser], small: Layout, url: str
) -> None:
    user = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(user)
    response = get(client, small, url, dirs=[small.root / "project"])
    assert response.status_code == 403
    assert b"css/site.css" not in response.content


@pytest.mark.parametrize("url", ALL_PAGES)
def test_staff_with_the_permission_sees_every_page(
    viewer_client: Client, small: Layout, url: str
) -> None:
    response = get(viewer_client, small, url, dirs=[small.root / "project"])
    assert response.status_code == 200
    if url in PAGES[1:] or url in COLLECT_PAGES[:2]:
        assert "css/site.css" in response.content.decode()


@pytest.mark.parametrize("url", ALL_PAGES)
def test_superuser_sees_every_page(
    client: Client, django_user_model: type[AbstractUser], small: Layout, url: str
) -> None:
    admin = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin)
    response = get(client, small, url, dirs=[small.root / "project"])
    assert response.status_code == 200


# --- overview -------------------------------------------------------------------------------


def test_overview_lists_a_conflict_with_its_winner_and_shadowed_sources(
    viewer_client: Client, layout: Layout
) -> None:
    theme, theme_static = layout.app("theme")
    base, base_static = layout.app("base")
    layout.write(theme_static, "admin/css/base.css", "body { color: red }")
    layout.write(base_static, "admin/css/base.css", "body { color: blue; margin: 0 }")
    html = get_overview(viewer_client, layout, apps=[theme, base]).content.decode()
    assert "admin/css/base.css" in html
    # The conflict row names the winner, then the source it hides.
    row = html[html.index("admin/css/base.css") :]
    row = row[: row.index("</tr>")]
    assert "conflict" in row
    assert f"app:{theme}" in row and f"app:{base}" in row
    assert row.index(f"app:{theme}") < row.index(f"app:{base}")


def test_overview_counts_link_to_the_filtered_table(viewer_client: Client, layout: Layout) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    layout.write(first, "a.css", "a")
    layout.write(second, "a.css", "b")
    layout.write(first, "b.css", "same")
    layout.write(second, "b.css", "same")
    layout.write(first, "c.css", "c")
    html = get_overview(viewer_client, layout, dirs=[first, second], finders=[FS]).content.decode()
    paths = reverse("inspector:paths")
    for status, count in (("conflict", 1), ("duplicate", 1), ("unique", 1), ("absent", 0)):
        link = f'href="{paths}?status={status}"><strong>{count}</strong> {status}'
        assert link in html, f"no link for {count} {status}"
    export = html[
        html.index("Export conflicts as CSV") - 200 : html.index("Export conflicts as CSV")
    ]
    assert f"{paths}?status=conflict&amp;_export=csv" in export


def test_overview_sources_table_and_chart(viewer_client: Client, layout: Layout) -> None:
    big, small_dir = layout.folder("big"), layout.folder("small")
    layout.write(big, "x.js", "x" * 4000)
    layout.write(big, "y.js", "y" * 4000)
    layout.write(small_dir, "z.js", "z" * 10)
    html = get_overview(
        viewer_client, layout, dirs=[big, ("pre", small_dir)], finders=[FS]
    ).content.decode()
    html = html.replace("<wbr>", "")  # names may break after / . : (<wbr>)
    sources = html[
        html.index('class="sources"') : html.index("</table>", html.index('class="sources"'))
    ]
    assert sources.index(f"dir:{big}") < sources.index(f"dir:pre={small_dir}")
    assert str(big) in sources, "location column"
    # Bars in the Files and Bytes cells: the biggest source at full length, the other scaled.
    assert sources.count('class="share-bytes"') == 2 and sources.count('class="share-files"') == 2
    assert '<rect width="100.0" height="4" class="share-bytes"/>' in sources
    assert '<rect width="0.1" height="4" class="share-bytes"/>' in sources  # 10 of 8000 bytes
    assert '<rect width="50.0" height="4" class="share-files"/>' in sources  # 1 of 2 files
    assert "<figure" not in html, "no chart repeating the table"
    assert "pre/ → " + str(small_dir) in html, "STATICFILES_DIRS prefix in the settings block"


def test_overview_settings_say_whether_static_urls_carry_the_script_prefix(
    viewer_client: Client, small: Layout
) -> None:
    html = get_overview(
        viewer_client,
        small,
        dirs=[small.root / "project"],
        FORCE_SCRIPT_NAME="/tools/",
        STATIC_URL="/static/",
    ).content.decode()
    facts = html[html.index("Settings that decide resolution") :]
    assert "script prefix of this request: /tools/" in facts
    assert "does not include this request&#x27;s script prefix /tools/" in facts


def test_overview_shows_an_error_for_a_missing_staticfiles_dir(
    viewer_client: Client, layout: Layout
) -> None:
    present = layout.folder("present")
    layout.write(present, "css/site.css", "body {}")
    missing = layout.root / "not-there"
    html = get_overview(
        viewer_client, layout, dirs=[present, missing], finders=[FS]
    ).content.decode()
    assert "1 path from" in html, "a missing folder must not hide the other sources"
    assert str(missing) in html
    assert "does not exist" in html, "the missing folder is not reported as an error"

    missing.mkdir()
    healthy = get_overview(viewer_client, layout, dirs=[present, missing], finders=[FS])
    assert "does not exist" not in healthy.content.decode()


HOSTILE = [
    "<script>alert(1)</script>.js",
    "\"'.css",
    "<img src=x onerror=alert(2)>.png",
    "café ünïcode 字.css",
    "=HYPERLINK(1).css",
]


@pytest.mark.parametrize("page", ["overview", "paths", "collect"])
def test_hostile_file_names_are_rendered_inert(
    viewer_client: Client, layout: Layout, page: str
) -> None:
    first, second = layout.folder("first"), layout.folder("second")
    for name in HOSTILE:
        # In two folders with other bytes: conflicts, so the overview lists them too.
        layout.write(first, name, "x")
        layout.write(second, name, "y")
    url = reverse(f"inspector:{page}")
    html = get(viewer_client, layout, url, dirs=[first, second], finders=[FS]).content.decode()
    html = html.replace("<wbr>", "")  # names may break after / . : (<wbr>)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.js" in html
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    for name in HOSTILE:
        assert escape(name) in html, f"{name!r} missing or not escaped"
    assert "\"'.css" not in html


def test_empty_layout_renders_the_empty_states(viewer_client: Client, layout: Layout) -> None:
    empty = layout.folder("empty")
    response = get_overview(viewer_client, layout, dirs=[empty], finders=[FS])
    assert response.status_code == 200
    html = response.content.decode()
    assert "0 paths" in html
    assert "Nothing breaks production and nothing differs from the sources." in html


def test_no_sources_at_all_renders_200(viewer_client: Client, layout: Layout) -> None:
    response = get_overview(viewer_client, layout, finders=[FS])
    assert response.status_code == 200
    assert "0 paths" in response.content.decode()


@pytest.mark.parametrize("page", ["overview", "paths", "collect", "runs"])
def test_pages_have_no_inline_script(viewer_client: Client, layout: Layout, page: str) -> None:
    project = layout.folder("project")
    layout.write(project, "<script>alert(1)</script>.js", "x")
    url = reverse(f"inspector:{page}")
    html = get(
        viewer_client, layout, url, apps=["js_lib_htmx"], dirs=[project], finders=[FS]
    ).content.decode()
    parser = _Scripts()
    parser.feed(html)
    inline = [attrs for attrs in parser.tags if not attrs.get("src")]
    assert not inline, f"design.md forbids inline scripts, found {len(inline)}"
    assert any("htmx" in (attrs.get("src") or "") for attrs in parser.tags), "htmx not loaded"
    for attr in ("onclick=", "onload=", "onerror=", "javascript:"):
        assert attr not in html.lower(), attr


def test_system_check_warns_when_htmx_is_not_installed(layout: Layout) -> None:
    from django.core import checks

    with layout.settings():
        warnings = [m.id for m in checks.run_checks()]
    assert "inspector.W001" in warnings
    with layout.settings(apps=["js_lib_htmx"]):
        assert "inspector.W001" not in [m.id for m in checks.run_checks()]
