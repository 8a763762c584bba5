"""``inspect_assets --references``: the table, JSON and CSV of design.md, the filters, and the exit
statuses of ``--fail-on`` for references; and ``check --deploy`` built on the references."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError

from inspector.core.references.rows import REFERENCE_CSV_COLUMNS
from tests.support.layout import Layout, age

FS = "django.contrib.staticfiles.finders.FileSystemFinder"
MANIFEST = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
PAGE = """{% load static %}
<link href="{% static 'css/site.css' %}">
<link href="{% static 'css/typo.css' %}">
<img src="/static/img/logo.svg">
"""


@contextmanager
def project(layout: Layout, **extra: Any) -> Iterator[Layout]:
    static = layout.folder("static")
    layout.write(static, "css/site.css", "body { background: url(../img/logo.svg) }")
    layout.write(static, "img/logo.svg", "<svg/>")
    layout.write(static, "img/spare.svg", "<svg/>")
    layout.write(layout.folder("templates"), "page.html", PAGE)
    layout.write(layout.folder("templates"), "formula.html", "{% load static %}{% static '=1+2' %}")
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [layout.root / "templates"],
        }
    ]
    with layout.settings(dirs=[static], finders=[FS], TEMPLATES=templates, **extra):
        yield layout


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("inspect_assets", "--references", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_is_designs_contract(layout: Layout) -> None:
    with project(layout):
        out, _ = run("--format", "json")
    rows = json.loads(out)
    page = str(layout.root / "templates" / "page.html")
    typo = next(r for r in rows if r["reference"] == "css/typo.css")
    assert typo == {
        "kind": "static-tag",
        "origin": {"file": page, "line": 3, "app": ""},
        "reference": "css/typo.css",
        "path": "css/typo.css",
        "problem": "not-found",
        "severity": "error",
        "why": typo["why"],
    }
    assert {(r["kind"], r["problem"]) for r in rows} == {
        ("static-tag", None),
        ("static-tag", "not-found"),
        ("hardcoded-url", None),
        ("css-url", None),
    }


def test_csv_has_the_columns_and_formula_safe_cells(layout: Layout) -> None:
    with project(layout):
        out, _ = run("--format", "csv", "--problem", "not-found")
    table = list(csv.DictReader(io.StringIO(out)))
    assert tuple(table[0]) == REFERENCE_CSV_COLUMNS
    assert {row["reference"] for row in table} == {"css/typo.css", "'=1+2"}


def test_a_template_name_that_is_not_utf8_is_shown_with_its_bytes(layout: Layout) -> None:
    with project(layout):
        folder = os.fsencode(layout.root / "templates")
        with open(os.path.join(folder, b"bad\xff.html"), "w") as stream:
            stream.write("{% load static %}{% static 'css/site.css' %}")
        out, _ = run("--format", "csv")
    out.encode("utf-8")  # what a terminal, a file or a download must be able to write
    rows = [row for row in csv.DictReader(io.StringIO(out)) if "bad" in row["origin_file"]]
    assert [row["origin_file"].rsplit("/", 1)[1] for row in rows] == ["bad‹0xFF›.html"]


def test_the_table_names_file_and_line_and_sums_up(layout: Layout) -> None:
    with project(layout):
        out, _ = run("--kind", "static-tag", "--path", "css/*")
    assert "page.html:3" in out and "css/typo.css" in out
    assert "formula.html" not in out
    assert out.rstrip().splitlines()[-1].startswith("2 of 5 references shown.")
    assert "problems: 2 not-found" in out


def test_fail_on_a_problem_exits_1_naming_where(layout: Layout) -> None:
    with project(layout), pytest.raises(CommandError) as raised:
        run("--fail-on", "not-found")
    assert raised.value.returncode == 1
    assert "page.html:3 (not-found)" in str(raised.value)
    with project(layout):
        run("--fail-on", "bypasses-manifest")  # a plain storage serves names as written


def test_fail_on_words_that_cannot_fail_a_reference_exit_2(layout: Layout) -> None:
    with project(layout), pytest.raises(CommandError) as raised:
        run("--fail-on", "conflict")
    assert raised.value.returncode == 2
    assert "cannot fail a reference" in str(raised.value)


def test_reference_words_without_references_exit_2(layout: Layout) -> None:
    with project(layout):
        with pytest.raises(CommandError) as raised:
            call_command("inspect_assets", "--fail-on", "not-found", stdout=io.StringIO())
        assert raised.value.returncode == 2
        assert "add --references" in str(raised.value)
        with pytest.raises(CommandError) as raised:
            call_command("inspect_assets", "--kind", "css-url", stdout=io.StringIO())
        assert raised.value.returncode == 2
        with pytest.raises(CommandError) as raised:
            run("--status", "conflict")
        assert "--status" in str(raised.value) and raised.value.returncode == 2


def deploy_messages() -> list[checks.CheckMessage]:
    return [
        m
        for m in checks.run_checks(include_deployment_checks=True)
        if (m.id or "").startswith("inspector.")
    ]


@pytest.mark.django_db
def test_deploy_check_errs_on_missing_entries_a_template_uses(layout: Layout) -> None:
    with project(layout, STORAGES=MANIFEST, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        layout.write(layout.root / "static", "css/typo.css", "p {}")  # added after collecting
        layout.write(layout.root / "static", "img/later.svg", "<svg/>")  # the same, unused
        age(layout.root)
        messages = {m.id: m for m in deploy_messages()}
    error = messages["inspector.E011"]
    assert error.obj == "css/typo.css"
    assert f"{layout.root / 'templates' / 'page.html'}:3" in error.msg
    assert "img/later.svg" in messages["inspector.W013"].msg
    assert "css/typo.css" not in messages["inspector.W013"].msg
    # The hardcoded URL is only a warning (bypasses-manifest): the one E013 is the missing file.
    assert messages["inspector.E013"].obj == "=1+2"


@pytest.mark.django_db
def test_deploy_check_errs_on_a_reference_that_resolves_nowhere(layout: Layout) -> None:
    with project(layout):
        errors = [m for m in deploy_messages() if m.id == "inspector.E013"]
    assert {m.obj for m in errors} == {"css/typo.css", "=1+2"}
    assert any("page.html:3" in m.msg and "not-found" in m.msg for m in errors)
