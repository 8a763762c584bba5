"""Translations: the UI's strings are marked, so ``makemessages`` finds them, and a project's
catalog changes the pages; English is the only language shipped."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

import inspector
from tests.support.layout import Layout

PACKAGE = Path(inspector.__file__).parent
FS = "django.contrib.staticfiles.finders.FileSystemFinder"


def catalog(po: str) -> dict[str, tuple[str, ...]]:
    """Return each msgid of a .po file (continuation lines joined) with the files that use it,
    and its plural form under ``"plural:" + msgid``."""
    found: dict[str, tuple[str, ...]] = {}
    for entry in po.split("\n\n"):
        where = tuple(
            place.rsplit(":", 1)[0]
            for line in entry.splitlines()
            if line.startswith("#: ")
            for place in line[3:].split()
        )
        fields = dict(re.findall(r'^(msgid|msgid_plural) ((?:".*"\n?)+)', entry, re.M))
        texts = {key: "".join(re.findall(r'"(.*)"', value)) for key, value in fields.items()}
        if texts.get("msgid"):
            found[texts["msgid"]] = where
            if "msgid_plural" in texts:
                found["plural:" + texts["msgid"]] = (texts["msgid_plural"],)
    return found


@pytest.fixture(scope="module")
def extracted(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict[str, tuple[str, ...]]]:
    """``makemessages -l en`` run in a copy of the app (the checkout stays as it is)."""
    if shutil.which("xgettext") is None:
        pytest.fail("makemessages needs GNU gettext's xgettext: apt-get install gettext")
    app = tmp_path_factory.mktemp("copy") / "inspector"
    shutil.copytree(PACKAGE, app, ignore=shutil.ignore_patterns("__pycache__"))
    (app / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    po = app / "locale" / "en" / "LC_MESSAGES" / "django.po"
    return done, catalog(po.read_text(encoding="utf-8") if po.exists() else "")


def test_makemessages_runs_clean(
    extracted: tuple[subprocess.CompletedProcess[str], dict[str, tuple[str, ...]]],
) -> None:
    done, found = extracted
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert len(found) > 300  # every page's words, not a handful


@pytest.mark.parametrize(
    ("msgid", "used_in"),
    [
        ("Static paths", "templates/inspector/paths.html"),  # the paths page's heading
        ("Paths", "templates/inspector/base.html"),  # the navigation
        ("Search paths", "web/forms.py"),  # a form label
        ("Search paths", "templates/inspector/paths.html"),  # _("...") in a template tag
        ("Written in", "web/tables.py"),  # a table column
        ("No path matches these filters.", "web/tables.py"),  # a table's empty text
        ("Clear the storage first", "web/forms.py"),
        ("Page %(number)s of %(pages)s", "templates/inspector/_pagination.html"),
        ("en", "templates/inspector/base.html"),  # <html lang>, set by a translation
        (
            "Your account may not see the asset inspector. It lacks:",
            "templates/inspector/forbidden.html",
        ),
        ("The asset inspector has no page at this address.", "web/views.py"),
        ("Static assets this request used", "panels/panel.py"),  # the panel's title
        ("Can view the asset inspector", "models.py"),  # the permission's name
    ],
)
def test_the_strings_users_read_are_extracted(
    extracted: tuple[subprocess.CompletedProcess[str], dict[str, tuple[str, ...]]],
    msgid: str,
    used_in: str,
) -> None:
    _, found = extracted
    assert msgid in found
    assert used_in in found[msgid]


@pytest.mark.parametrize(
    ("singular", "plural"),
    [
        ("%(n)s path", "%(n)s paths"),  # {% blocktranslate count %} in the overview
        ("%(n)s more hunk", "%(n)s more hunks"),
        ("%(n)d conflict", "%(n)d conflicts"),  # ngettext in the panel's subtitle
    ],
)
def test_a_count_chooses_the_word(
    extracted: tuple[subprocess.CompletedProcess[str], dict[str, tuple[str, ...]]],
    singular: str,
    plural: str,
) -> None:
    _, found = extracted
    assert found["plural:" + singular] == (plural,)


def test_contract_words_are_not_marked(
    extracted: tuple[subprocess.CompletedProcess[str], dict[str, tuple[str, ...]]],
) -> None:
    # Status words are what the CLI, the exports and the query parameters say: never translated.
    _, found = extracted
    for word in ("conflict", "missing-entry", "shadowed-differs", "error", "warning"):
        assert word not in found
    assert not any(place.startswith("core/") for places in found.values() for place in places)


def test_english_is_the_only_language_shipped() -> None:
    assert sorted(PACKAGE.rglob("*.po")) == []
    assert sorted(PACKAGE.rglob("*.mo")) == []


PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgctxt "the language of the pages"
msgid "en"
msgstr "de"

msgid "Static paths"
msgstr "Statische Pfade"

msgid "Search paths"
msgstr "Pfade suchen"

msgid "Written in"
msgstr "Geschrieben in"

msgid "Severity"
msgstr "Schweregrad"

msgid "%(n)s path"
msgid_plural "%(n)s paths"
msgstr[0] "%(n)s Pfad"
msgstr[1] "%(n)s Pfade"
"""


@pytest.mark.django_db
def test_a_projects_catalog_translates_the_pages(
    viewer_client: Client, layout: Layout, tmp_path: Path
) -> None:
    if shutil.which("msgfmt") is None:
        pytest.fail("compiling a catalog needs GNU gettext's msgfmt: apt-get install gettext")
    messages = tmp_path / "locale" / "de" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text(PO, encoding="utf-8")
    subprocess.run(["msgfmt", "-o", messages / "django.mo", messages / "django.po"], check=True)
    folder = layout.folder("static")
    layout.write(folder, "css/site.css", "body {}")
    layout.write(folder, "js/app.js", "1")
    with (
        layout.settings(dirs=[folder], finders=[FS]),
        override_settings(LANGUAGE_CODE="de", LOCALE_PATHS=[tmp_path / "locale"]),
    ):
        paths = viewer_client.get(reverse("inspector:paths")).content.decode()
        overview = viewer_client.get(reverse("inspector:overview")).content.decode()
    assert '<html lang="de">' in paths  # the catalog says which language the page is in
    assert "<h1>Statische Pfade</h1>" in paths  # a template
    assert '<label for="id_q">Pfade suchen</label>' in paths  # a form label
    assert ">Schweregrad<" in paths  # a table column
    assert "2 Pfade" in overview  # the plural the count chose
    # The status words stay what the CLI and the exports say.
    assert 'class="badge status-unique">unique<' in paths
