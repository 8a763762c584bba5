"""File names that are not UTF-8 (item 5) or that carry bidi and control characters (item 11):
reported, rendered and exported with a visible escape, never a crash, never reordered text."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from inspector.core.paths import UNSERVABLE_NAME
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
UNDECODABLE = "css/bad\udcff.css"  # the bytes b"css/bad\xff.css"
SPOOF = "img/evil\u202egpj.css"  # shows as "evilssc.jpg" when left to the bidi algorithm


@pytest.fixture
def hostile(layout: Layout) -> Path:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    layout.write(project, SPOOF, "x")
    with open(os.fsencode(project / UNDECODABLE), "wb") as handle:
        handle.write(b"body { color: red }")
    return project


def pages() -> list[str]:
    paths = reverse("inspector:paths")
    return [
        reverse("inspector:overview"),
        paths,
        paths + "?q=bad",
        paths + "?per_page=500",
        reverse("inspector:collect"),
    ]


def test_every_page_shows_an_undecodable_name_escaped_and_reports_it(
    viewer_client: Client, layout: Layout, hostile: Path
) -> None:
    with layout.settings(dirs=[str(hostile)], finders=[FS]):
        found = {url: viewer_client.get(url) for url in pages()}
        table = found[reverse("inspector:paths")].content.decode()
        link = re.search(r'href="(/assets/paths/css/bad[^"]*)"', table)
        assert link is not None
        detail = viewer_client.get(link.group(1))
    for url, response in found.items():
        assert response.status_code == 200, url
        assert "bad‹0xFF›.css" in response.content.decode().replace("<wbr>", ""), url
    assert "Django cannot serve this name" in table
    assert "Django cannot serve this name" in found[reverse("inspector:overview")].content.decode()
    assert detail.status_code == 200
    assert "<h1><code><bdi>css/bad‹0xFF›.css</bdi></code></h1>" in detail.content.decode()


def test_exports_and_cli_carry_an_undecodable_name(
    viewer_client: Client, layout: Layout, hostile: Path
) -> None:
    with layout.settings(dirs=[str(hostile)], finders=[FS]):
        csv_export = viewer_client.get(reverse("inspector:paths") + "?_export=csv")
        json_export = viewer_client.get(reverse("inspector:paths") + "?_export=json")
        printed, table = io.StringIO(), io.StringIO()
        call_command("inspect_assets", "--format", "json", stdout=printed)
        call_command("inspect_assets", stdout=table)
    rows = {r["path"]: r for r in csv.DictReader(io.StringIO(csv_export.content.decode()))}
    assert "css/bad‹0xFF›.css" in rows
    objects = {o["path"]: o for o in json.loads(json_export.content)}
    assert objects[UNDECODABLE]["errors"] == [UNSERVABLE_NAME]
    assert json.loads(json_export.content) == json.loads(printed.getvalue())
    assert "css/bad‹0xFF›.css" in table.getvalue()


def test_a_probe_post_carries_an_undecodable_name(
    viewer_client: Client, layout: Layout, hostile: Path
) -> None:
    with layout.settings(
        dirs=[str(hostile)],
        finders=[FS],
        ASSET_INSPECTOR={"CACHE": "inspector", "BASE_URL": "http://127.0.0.1:9"},
    ):
        page = viewer_client.get(reverse("inspector:paths") + "?q=bad").content.decode()
        sent = re.findall(r'<input type="hidden" name="path" value="([^"]*)"', page)
        assert sent == ["css/bad%FF.css"]
        response = viewer_client.post(reverse("inspector:probe"), {"path": sent})
    assert response.status_code == 302


def test_bidi_and_control_characters_are_shown_and_isolated(
    viewer_client: Client, layout: Layout, hostile: Path
) -> None:
    with layout.settings(dirs=[str(hostile)], finders=[FS]):
        table = viewer_client.get(reverse("inspector:paths")).content.decode()
        detail = viewer_client.get(reverse("inspector:path", args=[SPOOF])).content.decode()
        cli = io.StringIO()
        call_command("inspect_assets", stdout=cli)
    for page in (table, detail):
        assert "\u202e" not in page
        assert "<bdi>img/evil‹U+202E›gpj.css</bdi>" in page.replace("<wbr>", "")
    assert "img/evil‹U+202E›gpj.css" in cli.getvalue() and "\u202e" not in cli.getvalue()
