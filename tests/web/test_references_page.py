"""The references in the dashboard: the references page (filters, counts, htmx, pages, exports,
hostile names inert), each path's "Referenced from", the paths table's ``referenced`` facet and
the overview's headline and needs-a-look."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import threading
import time
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse

from inspector.core.layers import PAGE_SHARE
from inspector.core.references import current
from inspector.core.references.rows import REFERENCE_CSV_COLUMNS
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
REFERENCES = reverse("inspector:references")
HOSTILE = '<img src=x onerror="alert(1)">.css'
FORMULA = "=HYPERLINK(1)"
PAGE = """{% load static %}
<link href="{% static 'css/site.css' %}">
<link href="{% static 'css/typo.css' %}">
<img src="/static/img/logo.svg">
<script src="{% static js_name %}"></script>
"""


@pytest.fixture
def project(layout: Layout) -> Layout:
    static = layout.folder("static")
    layout.write(static, "css/site.css", "body { background: url(../img/logo.svg) }")
    layout.write(static, "img/logo.svg", "<svg/>")
    layout.write(static, "img/unused.svg", "<svg/>")
    folder = layout.folder("templates")
    layout.write(folder, "page.html", PAGE)
    layout.write(
        folder,
        "hostile.html",
        "{% load static %}\n" + f"<link href=\"{{% static '{HOSTILE}' %}}\">\n"
        f"<link href=\"{{% static '{FORMULA}' %}}\">\n",
    )
    return layout


def active(layout: Layout) -> AbstractContextManager[None]:
    """The project's settings: its static folder and its templates."""
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [layout.root / "templates"],
            "APP_DIRS": True,  # the inspector's own pages are templates of its app
        }
    ]
    return layout.settings(dirs=[layout.root / "static"], finders=[FS], TEMPLATES=templates)


def get(client: Client, layout: Layout, url: str, **headers: Any) -> HttpResponse:
    with active(layout):
        return client.get(url, headers=headers)


def rows(response: HttpResponse) -> list[str]:
    """The references column of the table's rows, in order."""
    body = response.content.decode().replace("<bdi>", "").replace("</bdi>", "").replace("<wbr>", "")
    tbody = body[body.index("<tbody>") : body.index("</tbody>")]
    cell = r"<td>.*?</td>\s*"
    found = re.findall(rf"<tr>\s*{cell * 4}<td><code>(.*?)</code>", tbody, re.S)
    return [html.unescape(text) for text in found]


def test_lists_every_reference_worst_first(viewer_client: Client, project: Layout) -> None:
    response = get(viewer_client, project, REFERENCES)
    assert response.status_code == 200
    shown = rows(response)
    assert len(shown) == 7
    # Errors first: the three not found (typo and the two hostile names).
    assert set(shown[:3]) == {"css/typo.css", HOSTILE, FORMULA}
    assert "js_name" in shown  # dynamic: counted, not judged
    assert "7</strong> of 7 references match" in response.content.decode().replace(
        "<bdi>", ""
    ).replace("</bdi>", "")


def test_filters_by_problem_kind_and_app_with_counts(
    viewer_client: Client, project: Layout
) -> None:
    response = get(viewer_client, project, REFERENCES + "?problem=not-found&kind=static-tag")
    body = response.content.decode().replace("<bdi>", "").replace("</bdi>", "").replace("<wbr>", "")
    assert len(rows(response)) == 3
    # Each choice counts what it would select with the other facets as they are.
    assert re.search(r'id="count-problem-not-found"[^>]*>\(3\)', body)
    assert re.search(r'id="count-kind-css-url"[^>]*>\(0\)', body)
    assert re.search(r'id="count-kind-static-tag"[^>]*>\(3\)', body)
    assert re.search(r'id="count-app-project"[^>]*>\(3\)', body)
    none = get(viewer_client, project, REFERENCES + "?problem=none&kind=css-url")
    assert rows(none) == ["../img/logo.svg"]


def test_an_htmx_filter_swaps_the_results_and_pushes_a_clean_url(
    viewer_client: Client, project: Layout
) -> None:
    response = get(
        viewer_client, project, REFERENCES + "?kind=hardcoded-url&q=&page=", HX_Request="true"
    )
    body = response.content.decode().replace("<bdi>", "").replace("</bdi>", "").replace("<wbr>", "")
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body
    assert response["HX-Push-Url"] == REFERENCES + "?kind=hardcoded-url"
    assert "HX-Request" in response["Vary"]
    assert rows(response) == ["/static/img/logo.svg"]


def test_pages_and_sorting(viewer_client: Client, project: Layout) -> None:
    first = get(viewer_client, project, REFERENCES + "?per_page=2&sort=reference")
    second = get(viewer_client, project, REFERENCES + "?per_page=2&sort=reference&page=2")
    assert "Page 1 of 4" in first.content.decode().replace("<bdi>", "").replace(
        "</bdi>", ""
    ).replace("<wbr>", "")
    both = rows(first) + rows(second)
    assert both == sorted(both)


def test_exports_every_matching_reference_formula_safe(
    viewer_client: Client, project: Layout
) -> None:
    response = get(viewer_client, project, REFERENCES + "?problem=not-found&_export=csv&per_page=1")
    table = list(
        csv.DictReader(
            io.StringIO(
                response.content.decode()
                .replace("<bdi>", "")
                .replace("</bdi>", "")
                .replace("<wbr>", "")
            )
        )
    )
    assert tuple(table[0]) == REFERENCE_CSV_COLUMNS
    assert {row["reference"] for row in table} == {"css/typo.css", HOSTILE, "'" + FORMULA}
    assert {row["problem"] for row in table} == {"not-found"}
    assert all(row["origin_line"] for row in table)
    exported = get(viewer_client, project, REFERENCES + "?problem=not-found&_export=json")
    objects = json.loads(exported.content)
    assert HOSTILE in {obj["reference"] for obj in objects}
    assert get(viewer_client, project, REFERENCES + "?_export=xlsx").status_code == 400


def test_hostile_names_are_inert_in_the_page(viewer_client: Client, project: Layout) -> None:
    body = (
        get(viewer_client, project, REFERENCES)
        .content.decode()
        .replace("<bdi>", "")
        .replace("</bdi>", "")
    )
    assert HOSTILE not in body
    assert 'onerror="alert(1)"' not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.css" in body


def test_a_path_page_lists_where_it_is_referenced_from(
    viewer_client: Client, project: Layout
) -> None:
    body = (
        get(viewer_client, project, reverse("inspector:path", args=["img/logo.svg"]))
        .content.decode()
        .replace("<bdi>", "")
        .replace("</bdi>", "")
    )
    section = body[body.index("Referenced from") : body.index("Collected copy")]
    page = project.root / "templates" / "page.html"
    site = project.root / "static" / "css" / "site.css"
    assert f"{page}:4" in section and "hardcoded-url" in section
    assert f"{site}:1" in section and "css-url" in section
    unused = get(viewer_client, project, reverse("inspector:path", args=["img/unused.svg"]))
    assert (
        "Not referenced by any scanned template, CSS, JS or form media."
        in unused.content.decode().replace("<bdi>", "").replace("</bdi>", "").replace("<wbr>", "")
    )
    assert (
        "1 <code>{% static %}</code> tag with a computed name may still name it"
        in unused.content.decode().replace("<bdi>", "").replace("</bdi>", "").replace("<wbr>", "")
    )


def test_a_stylesheet_page_lists_what_it_refers_to(viewer_client: Client, project: Layout) -> None:
    body = (
        get(viewer_client, project, reverse("inspector:path", args=["css/site.css"]))
        .content.decode()
        .replace("<bdi>", "")
        .replace("</bdi>", "")
    )
    refers = body[body.index("This file refers to") :]
    assert '<a href="/assets/paths/img/logo.svg"><code>img/logo.svg</code></a>' in refers


def test_the_paths_table_filters_by_referenced(viewer_client: Client, project: Layout) -> None:
    paths = reverse("inspector:paths")
    response = get(viewer_client, project, paths + "?referenced=no")
    body = response.content.decode().replace("<bdi>", "").replace("</bdi>", "").replace("<wbr>", "")
    assert re.findall(r'<a href="/assets/paths/[^"]*"><code>([^<]*)</code>', body) == [
        "img/unused.svg"
    ]
    assert re.search(r'id="count-referenced-yes"[^>]*>\(2\)', body)
    assert re.search(r'id="count-referenced-no"[^>]*>\(1\)', body)


def test_the_overview_counts_and_lists_reference_problems(
    viewer_client: Client, project: Layout
) -> None:
    body = (
        get(viewer_client, project, reverse("inspector:overview"))
        .content.decode()
        .replace("<bdi>", "")
        .replace("</bdi>", "")
    )
    headline = body[body.index("severity-counts") : body.index("Needs a look")]
    assert re.search(
        r'href="/assets/references/\?severity=error">and <strong>3</strong> references', headline
    )
    listed = body[body.index('class="needs-a-look reference-problems"') :]
    assert "css/typo.css" in listed and "not-found" in listed
    assert f"{project.root / 'templates' / 'page.html'}:3" in listed


def test_the_references_page_needs_the_view_permission(
    client: Client, project: Layout, django_user_model: Any
) -> None:
    assert get(client, project, REFERENCES).status_code == 302
    user = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(user)
    assert get(client, project, REFERENCES).status_code == 403


def test_a_page_shows_the_last_scan_and_rescans_in_the_background(
    viewer_client: Client, project: Layout
) -> None:
    def scanning() -> bool:
        return any(t.name == "inspector-references" and t.is_alive() for t in threading.enumerate())

    def settled() -> None:
        deadline = time.monotonic() + 20
        while scanning():
            assert time.monotonic() < deadline, "the background scan never ended"
            time.sleep(0.02)

    page = project.root / "templates" / "page.html"
    with (
        active(project),
        override_settings(ASSET_INSPECTOR={"CACHE": None, "RECHECK_SECONDS": 0.01}),
    ):
        assert "css/typo.css" in rows(viewer_client.get(REFERENCES))
        settled()
        page.write_text(PAGE.replace("css/typo.css", "css/edit.css"))
        kept = current._kept
        assert kept is not None
        time.sleep(kept.took * (1 + PAGE_SHARE) + 0.05)  # past the share rule's pause
        shown = rows(viewer_client.get(REFERENCES))
        assert "css/typo.css" in shown and "css/edit.css" not in shown, "the last scan, at once"
        settled()
        assert "css/edit.css" in rows(viewer_client.get(REFERENCES)), "re-scanned meanwhile"

        page.write_text(PAGE)
        response = viewer_client.post(reverse("inspector:recheck"), {"next": REFERENCES})
        assert response.status_code == 302
        shown = rows(viewer_client.get(REFERENCES))
        assert "css/typo.css" in shown and "css/edit.css" not in shown, "Re-check now waited"


def test_recheck_seconds_zero_scans_for_every_page(viewer_client: Client, project: Layout) -> None:
    page = project.root / "templates" / "page.html"
    with (
        active(project),
        override_settings(ASSET_INSPECTOR={"CACHE": None, "RECHECK_SECONDS": 0}),
    ):
        assert "css/typo.css" in rows(viewer_client.get(REFERENCES))
        page.write_text(PAGE.replace("css/typo.css", "css/edit.css"))
        assert "css/edit.css" in rows(viewer_client.get(REFERENCES)), "the page waited"
