"""The references scan on generated projects: every kind found at its file and line, resolved and
judged as Django would, bad input reported and never fatal, and the scan kept fresh.

Each test builds its own project on disk (``tests/layout.py``): static folders, a template folder
of the only template engine, and apps whose Python modules define form media.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
from django.core.management import call_command
from django.core.management.base import CommandError

from inspector.core.freshness import MaxAge
from inspector.core.layers import current_layers
from inspector.core.references.current import current_references
from inspector.core.references.model import ReferenceScan
from tests.support.layout import Layout, age

FS = "django.contrib.staticfiles.finders.FileSystemFinder"
APPS = "django.contrib.staticfiles.finders.AppDirectoriesFinder"
DJANGO_TEMPLATES = "django.template.backends.django.DjangoTemplates"
MANIFEST = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


def templates_setting(*dirs: Path, app_dirs: bool = False, **options: Any) -> list[dict[str, Any]]:
    return [
        {"BACKEND": DJANGO_TEMPLATES, "DIRS": list(dirs), "APP_DIRS": app_dirs, "OPTIONS": options}
    ]


@contextmanager
def project(layout: Layout, apps: tuple[str, ...] = (), **extra: Any) -> Iterator[None]:
    """Activate the layout's ``static`` folder and ``templates`` folder (and ``apps``)."""
    extra.setdefault("TEMPLATES", templates_setting(layout.folder("templates")))
    with layout.settings(apps=apps, dirs=[layout.folder("static")], finders=[FS, APPS], **extra):
        yield


def scan_now() -> ReferenceScan:
    return current_references(current_layers(live=False))


def line_of(path: Path, marker: str) -> int:
    """Return the 1-based line of ``path`` holding ``marker`` (exactly one line must)."""
    lines = [n for n, text in enumerate(path.read_text().splitlines(), 1) if marker in text]
    assert len(lines) == 1, f"{marker!r} is on lines {lines} of {path}"
    return lines[0]


def found(scan: ReferenceScan, file: Path) -> set[tuple[str, int, str, str | None, str | None]]:
    """(kind, line, reference, path, problem) of every reference written in ``file``."""
    return {
        (str(r.kind), r.origin.line, r.reference, r.path, str(r.problem) if r.problem else None)
        for r in scan.by_file.get(str(file), ())
    }


TEMPLATE = """{% load static %}<!doctype html>
<link rel="stylesheet" href="{% static 'css/site.css' %}">
<link rel="stylesheet" href="{% static "css/typo.css" %}">
<script src="{% static script_name %}"></script>
<img src="{% static 'img/logo.svg'|default:'x' %}">
<link rel="icon" href="{{ STATIC_URL }}img/logo.svg">
<img src="/static/img/logo.svg" alt="hardcoded">
<img src="https://elsewhere.example/static/img/none.png" alt="not ours">
{# {% static 'css/commented.css' %} #}
{% comment %}<img src="/static/img/commented.png">{% endcomment %}
<!-- <img src="/static/img/html-comment.png"> -->
<a href="{% static '.browserslistrc' %}">browsers</a>
<p>Plain text about /static/ and no file.</p>
"""


def test_every_template_kind_at_its_line_resolved_and_judged(layout: Layout) -> None:
    static = layout.folder("static")
    layout.write(static, "css/site.css", "body {}")
    layout.write(static, "img/logo.svg", "<svg/>")
    layout.write(static, ".browserslistrc", "last 2 versions")
    page = layout.write(layout.folder("templates"), "page.html", TEMPLATE)
    with project(layout):
        scan = scan_now()
    assert found(scan, page) == {
        ("static-tag", 2, "css/site.css", "css/site.css", None),
        ("static-tag", 3, "css/typo.css", "css/typo.css", "not-found"),
        ("static-dynamic", 4, "script_name", None, None),
        ("static-dynamic", 5, "'img/logo.svg'|default:'x'", None, None),
        # A plain storage serves the name as written: nothing to bypass.
        ("static-url", 6, "{{ STATIC_URL }}img/logo.svg", "img/logo.svg", None),
        ("hardcoded-url", 7, "/static/img/logo.svg", "img/logo.svg", None),
        ("static-tag", 12, ".browserslistrc", ".browserslistrc", "ignored-by-collect"),
    }
    typo = next(r for r in scan.by_file[str(page)] if r.problem)
    assert (str(typo.severity), typo.origin.app) == ("error", "")
    assert "404" in typo.why
    assert not scan.problems


STYLESHEET = """/* site styles */
@import "base.css";
@import url("print.css") print;
.logo { background: url(../img/logo.svg); }
.icon { background: url('../img/missing.png'); }
.data { background: url("data:image/png;base64,AAAA"); }
.frag { filter: url(#blur); }
.cdn { background: url(https://cdn.example/x.png); }
.abs { background: url(/static/img/logo.svg?v=2#top); }
.elsewhere { background: url(/media/upload.png); }
@font-face { src: url("../fonts/a.eot?#iefix") format("embedded-opentype"); }
/*# sourceMappingURL=site.css.map */
"""
SCRIPT = """import { x } from "./util.js";
import "./missing.js";
export { y } from "../lib/y.js";
const later = () => import("./lazy.js");
// import "./commented.js";
const bare = import("lodash");
const logo = "/static/img/logo.svg";
//# sourceMappingURL=app.js.map
"""


def test_css_and_js_references_are_joined_to_the_files_own_path(layout: Layout) -> None:
    static = layout.folder("static")
    for name in ("css/base.css", "css/print.css", "img/logo.svg", "fonts/a.eot", "js/util.js"):
        layout.write(static, name, "/* */")
    layout.write(static, "lib/y.js", "export const y = 1;")
    layout.write(static, "js/lazy.js", "export default 1;")
    layout.write(static, "css/site.css.map", "{}")
    css = layout.write(static, "css/site.css", STYLESHEET)
    js = layout.write(static, "js/app.js", SCRIPT)
    with project(layout):
        scan = scan_now()
    assert found(scan, css) == {
        ("css-import", 2, "base.css", "css/base.css", None),
        ("css-import", 3, "print.css", "css/print.css", None),
        ("css-url", 4, "../img/logo.svg", "img/logo.svg", None),
        ("css-url", 5, "../img/missing.png", "img/missing.png", "not-found"),
        ("css-url", 6, "data:image/png;base64,AAAA", None, None),
        ("css-url", 7, "#blur", None, None),
        ("css-url", 8, "https://cdn.example/x.png", None, None),
        ("css-url", 9, "/static/img/logo.svg?v=2#top", "img/logo.svg", None),
        ("css-url", 10, "/media/upload.png", None, None),
        ("css-url", 11, "../fonts/a.eot?#iefix", "fonts/a.eot", None),
        ("source-map", 12, "site.css.map", "css/site.css.map", None),
    }
    assert found(scan, js) == {
        ("js-import", 1, "./util.js", "js/util.js", None),
        ("js-import", 2, "./missing.js", "js/missing.js", "not-found"),
        ("js-import", 3, "../lib/y.js", "lib/y.js", None),
        ("js-import", 4, "./lazy.js", "js/lazy.js", None),
        ("hardcoded-url", 7, "/static/img/logo.svg", "img/logo.svg", None),
        ("source-map", 8, "app.js.map", "js/app.js.map", "not-found"),
    }


FORMS = """from django import forms
from django.forms import Media, Script


class Signup(forms.Form):
    class Media:
        css = {"all": ["forms/signup.css"], "print": ("forms/print.css",)}
        js = ["forms/signup.js", Script("forms/module.js", type="module"), computed()]


class Widget(forms.TextInput):
    @property
    def media(self):
        return forms.Media(js=["forms/widget.js", "https://cdn.x/lib.js", "/static/forms/abs.js"])


extra = Media(None, None, ["forms/positional.js"])
"""


def test_form_media_is_read_from_source_without_importing_it(layout: Layout) -> None:
    app, static = layout.app("withforms")
    for name in ("signup.css", "signup.js", "module.js", "widget.js", "abs.js"):
        layout.write(static, f"forms/{name}", "/* */")
    module = layout.write(
        static.parent, "forms.py", FORMS + "\nraise RuntimeError('never imported')\n"
    )
    with project(layout, apps=(app,)):
        scan = scan_now()
    assert found(scan, module) == {
        ("form-media", 7, "forms/signup.css", "forms/signup.css", None),
        ("form-media", 7, "forms/print.css", "forms/print.css", "not-found"),
        ("form-media", 8, "forms/signup.js", "forms/signup.js", None),
        ("form-media", 8, "forms/module.js", "forms/module.js", None),
        ("form-media", 14, "forms/widget.js", "forms/widget.js", None),
        ("form-media", 14, "https://cdn.x/lib.js", None, None),
        ("hardcoded-url", 14, "/static/forms/abs.js", "forms/abs.js", None),
        ("form-media", 17, "forms/positional.js", "forms/positional.js", "not-found"),
    }
    assert {r.origin.app for r in scan.by_file[str(module)]} == {app}


def test_a_manifest_storage_judges_missing_entries_and_bypasses(layout: Layout) -> None:
    static = layout.folder("static")
    layout.write(static, "css/site.css", "body {}")
    page = layout.write(
        layout.folder("templates"),
        "page.html",
        "{% load static %}\n<link href=\"{% static 'css/site.css' %}\">\n"
        '<link href="{% static \'css/new.css\' %}">\n<img src="/static/css/site.css">\n'
        '<img src="{{ STATIC_URL }}{{ name }}">\n',
    )
    with project(layout, STORAGES=MANIFEST, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        layout.write(static, "css/new.css", "p {}")  # added after the last collection
        age(layout.root)
        scan = scan_now()
    assert found(scan, page) == {
        ("static-tag", 2, "css/site.css", "css/site.css", None),
        ("static-tag", 3, "css/new.css", "css/new.css", "missing-entry"),
        ("hardcoded-url", 4, "/static/css/site.css", "css/site.css", "bypasses-manifest"),
        ("static-url", 5, "{{ STATIC_URL }}…", None, "bypasses-manifest"),
    }
    severities = {r.reference: str(r.severity) for r in scan.by_file[str(page)] if r.problem}
    assert severities == {
        "css/new.css": "error",
        "/static/css/site.css": "warning",
        "{{ STATIC_URL }}…": "warning",
    }


def test_force_script_name_prefixes_a_relative_static_url(layout: Layout) -> None:
    static = layout.folder("static")
    layout.write(static, "img/logo.svg", "<svg/>")
    page = layout.write(
        layout.folder("templates"),
        "page.html",
        '<img src="/shop/static/img/logo.svg">\n<img src="/static/img/logo.svg">\n',
    )
    with project(layout, STATIC_URL="static/", FORCE_SCRIPT_NAME="/shop/"):
        scan = scan_now()
    assert found(scan, page) == {
        ("hardcoded-url", 1, "/shop/static/img/logo.svg", "img/logo.svg", None)
    }


def test_a_missing_css_reference_is_reported_exactly_when_collectstatic_fails_on_it(
    layout: Layout,
) -> None:
    """The scan follows the running Django: 6.1 skips URLs inside comments, 5.2 does not."""
    static = layout.folder("static")
    layout.write(static, "css/a.css", "/* .old { background: url(gone.png) } */\nbody {}\n")
    with project(layout, STORAGES=MANIFEST, DEBUG=False):
        reported = [r for r in scan_now().references if r.problem is not None]
        try:
            call_command("collectstatic", interactive=False, verbosity=0)
            failed = False
        except (ValueError, CommandError):
            failed = True
    assert failed == (django.VERSION < (6, 1))
    assert [(r.reference, str(r.problem)) for r in reported] == (
        [("gone.png", "not-found")] if failed else []
    )
    if failed:
        assert "collectstatic fails" in reported[0].why


def test_django_admin_templates_css_js_and_media_have_no_false_problem(layout: Layout) -> None:
    apps = ("django.contrib.admin",)
    with project(layout, apps=apps, TEMPLATES=templates_setting(app_dirs=True)):
        scan = scan_now()
    admin = [r for r in scan.references if r.origin.app == "django.contrib.admin"]
    kinds = {str(r.kind) for r in admin}
    assert {"static-tag", "css-url", "form-media"} <= kinds, kinds
    assert len(admin) > 50
    assert [r for r in admin if r.problem is not None] == []
    assert not [p for p in scan.problems if "contrib/admin" in p.file]


def test_django_admin_has_no_problem_once_collected_with_a_manifest(layout: Layout) -> None:
    apps = ("django.contrib.admin",)
    setting = templates_setting(app_dirs=True)
    with project(layout, apps=apps, TEMPLATES=setting, STORAGES=MANIFEST, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        age(layout.root)
        scan = scan_now()
    admin = [r for r in scan.references if r.origin.app == "django.contrib.admin"]
    assert admin and [r for r in admin if r.problem is not None] == []


def test_bad_input_is_a_finding_never_a_crash(layout: Layout) -> None:
    static = layout.folder("static")
    folder = layout.folder("templates")
    broken = layout.write(
        folder, "broken.html", "{% load static %}\n{% if %}\n{% static 'a.css' %}\n"
    )
    unloaded = layout.write(folder, "unloaded.html", "<p>\n{% static 'b.css' %}\n")
    binary = layout.write(folder, "logo.png", b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    layout.write(folder, "bad-filter.html", "{% load static %}{% static name|nosuchfilter %}")
    huge = layout.write(static, "js/huge.min.js", "var a=1;" * 200)
    bad_css = layout.write(static, "css/latin1.css", "body { content: '\xe9' }".encode("latin-1"))
    app, app_static = layout.app("badpython")
    module = layout.write(app_static.parent, "forms.py", "class Media:\n    js = [\n")
    with project(layout, apps=(app,), ASSET_INSPECTOR={"REFERENCES_MAX_BYTES": 1000}):
        scan = scan_now()
    problems = {(Path(p.file).name, p.line): p.message for p in scan.problems}
    assert problems[(broken.name, 2)].startswith("template syntax error")
    assert "static" in problems[(unloaded.name, 2)]  # used without {% load static %}
    assert "not utf-8" in problems[(binary.name, None)].lower()
    assert "nosuchfilter" in problems[("bad-filter.html", 1)]
    assert "REFERENCES_MAX_BYTES" in problems[(huge.name, None)]
    assert "not utf-8" in problems[(bad_css.name, None)].lower()
    assert "cannot parse" in problems[(module.name, 2)]
    # What could be read was still read.
    assert ("static-tag", 3, "a.css", "a.css", "not-found") in found(scan, broken)


def test_relative_template_names_compile_as_their_loader_names_them(layout: Layout) -> None:
    folder = layout.folder("templates")
    layout.write(folder, "shop/base.html", "{% block body %}{% endblock %}")
    layout.write(folder, "shop/part.html", "<p>part</p>")
    layout.write(
        folder,
        "shop/page.html",
        '{% extends "./base.html" %}{% block body %}{% include "./part.html" %}{% endblock %}',
    )
    with project(layout):
        scan = scan_now()
    assert scan.problems == ()


def test_a_static_tag_of_another_library_is_not_ours(layout: Layout) -> None:
    page = layout.write(
        layout.folder("templates"),
        "page.html",
        "{% load static %}{% static 'mine.css' %}\n{% load static from nothere %}\n",
    )
    with project(layout):
        scan = scan_now()
    assert {r.reference for r in scan.by_file[str(page)]} == {"mine.css"}


def test_the_scan_is_reused_within_max_age_and_sees_an_edit_after(layout: Layout) -> None:
    folder = layout.folder("templates")
    page = layout.write(folder, "page.html", "{% load static %}{% static 'a.css' %}\n")
    age(folder)
    with project(layout):
        layers = current_layers(live=False)
        first = current_references(layers, max_age=MaxAge(3600))
        layout.write(folder, "page.html", "{% load static %}{% static 'b.css' %}\n")
        assert current_references(layers, max_age=MaxAge(3600)) is first
        again = current_references(layers)
        added = layout.write(folder, "new.html", "{% load static %}{% static 'c.css' %}\n")
        newest = current_references(layers)
    assert {r.reference for r in first.by_file[str(page)]} == {"a.css"}
    assert {r.reference for r in again.by_file[str(page)]} == {"b.css"}
    assert {r.reference for r in newest.by_file[str(added)]} == {"c.css"}


def test_an_engine_of_another_kind_is_named_not_scanned(layout: Layout) -> None:
    dummy = "django.template.backends.dummy.TemplateStrings"
    setting = [{"BACKEND": dummy, "DIRS": [], "APP_DIRS": False, "NAME": "strings"}]
    with project(layout, TEMPLATES=setting):
        scan = scan_now()
    assert any("'strings'" in note and "TemplateStrings" in note for note in scan.notes)


JINJA = """{# static("commented.css") #}
<link href="{{ static('css/site.css') }}">
<script src="{{ static(name) }}"></script>
<img src="/static/img/logo.svg">
"""


def test_jinja2_templates_are_read_for_static_calls() -> None:
    """Jinja2 may not be installed: its extractor reads the text alone."""
    from inspector.core.references.model import StaticNames
    from inspector.templating.jinja import extract_jinja

    extracted = extract_jinja(JINJA, StaticNames("/static/", ("/static/",), hashing=False))
    assert [(str(f.kind), f.line, f.reference, f.path) for f in extracted.found] == [
        ("static-tag", 2, "css/site.css", "css/site.css"),
        ("static-dynamic", 3, "name", None),
        ("hardcoded-url", 4, "/static/img/logo.svg", "img/logo.svg"),
    ]


def test_an_edited_stylesheet_is_read_again(layout: Layout) -> None:
    static = layout.folder("static")
    layout.write(static, "img/a.png", b"\x89PNG")
    sheet = layout.write(static, "css/site.css", "body { background: url(../img/a.png) }\n")
    age(static)
    with project(layout):
        before = scan_now()
        layout.write(static, "css/site.css", "body { background: url(../img/b.png) }\n")
        after = scan_now()
    assert found(before, sheet) == {("css-url", 1, "../img/a.png", "img/a.png", None)}
    assert found(after, sheet) == {("css-url", 1, "../img/b.png", "img/b.png", "not-found")}


def test_a_stylesheet_is_read_as_it_is_now_but_only_the_very_file_listed(layout: Layout) -> None:
    static = layout.folder("static")
    layout.write(static, "img/a.png", b"\x89PNG")
    sheet = layout.write(static, "css/site.css", "body { background: url(../img/a.png) }\n")
    swapped = layout.write(static, "css/print.css", "p { background: url(../img/a.png) }\n")
    secret = layout.write(layout.folder("outside"), "x.css", "p { background: url(SECRET.png) }")
    age(static)
    with project(layout):
        layers = current_layers(live=False)  # kept, as a page keeps them
        with open(sheet, "r+") as stream:  # saved in place since: the file the layers listed
            stream.write("body { background: url(../img/b.png) }\n")
        swapped.unlink()
        swapped.symlink_to(secret)
        scan = current_references(layers)
    assert found(scan, sheet) == {("css-url", 1, "../img/b.png", "img/b.png", "not-found")}
    assert found(scan, swapped) == set()
    assert "SECRET" not in repr(scan)
    said = [p.message for p in scan.problems if p.file == str(swapped)]
    assert len(said) == 1 and "not the file that was listed" in said[0]
