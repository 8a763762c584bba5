"""The demo's planted references (README, "What the demo plants"): each found at its exact file
and line with its exact problem, and Django admin's own templates, CSS, JS and form media without
a false problem once the demo is collected as ``demo_setup`` collects it.

Runs with the demo's settings (``config.settings``), in the demo's own test session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from demo.tests.conftest import MANIFEST_STORAGES
from inspector.core.layers import current_layers
from inspector.core.references.current import current_references
from inspector.core.references.model import ReferenceScan

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "demo" / "shop"
PAGE = SHOP / "templates" / "shop" / "references.html"
CHECKOUT = SHOP / "templates" / "shop" / "checkout.html"
FONTS = SHOP / "static" / "shop" / "css" / ".drafts" / "brand-fonts.css"
FORMS = SHOP / "forms.py"
# (file, text on the line, kind, reference, problem)
PLANTED = [
    (PAGE, "shop/css/print.css", "static-tag", "shop/css/print.css", "not-found"),
    (FONTS, "brand.woff2", "css-url", "../../fonts/brand.woff2", "not-found"),
    (
        PAGE,
        "{{ STATIC_URL }}img",
        "static-url",
        "{{ STATIC_URL }}img/logo.svg",
        "bypasses-manifest",
    ),
    (FORMS, "newsletter.js", "form-media", "shop/js/newsletter.js", "not-found"),
    (PAGE, "'.browserslistrc'", "static-tag", ".browserslistrc", "ignored-by-collect"),
    (
        PAGE,
        "brand-fonts.css",
        "static-tag",
        "shop/css/.drafts/brand-fonts.css",
        "ignored-by-collect",
    ),
    (CHECKOUT, "new-arrivals.css", "static-tag", "shop/css/new-arrivals.css", "missing-entry"),
    (
        CHECKOUT,
        'src="/static/img/logo.svg"',
        "hardcoded-url",
        "/static/img/logo.svg",
        "bypasses-manifest",
    ),
    (
        CHECKOUT,
        "url('/static/shop/img/banner.png')",
        "hardcoded-url",
        "/static/shop/img/banner.png",
        "not-found",
    ),
]


def line_of(path: Path, text: str) -> int:
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(lines) == 1, f"{text!r} is on lines {lines} of {path}"
    return lines[0]


@pytest.fixture
def scan(demo_collected: Path) -> ReferenceScan:
    """The demo collected as demo_setup collects it (without NOT_COLLECTED), then scanned."""
    with override_settings(STATIC_ROOT=demo_collected, STORAGES=MANIFEST_STORAGES):
        return current_references(current_layers(live=False))


@pytest.mark.parametrize("file, text, kind, reference, problem", PLANTED)
def test_each_planted_reference_at_its_file_and_line(
    scan: ReferenceScan, file: Path, text: str, kind: str, reference: str, problem: str
) -> None:
    line = line_of(file, text)
    at = [r for r in scan.by_file.get(str(file), ()) if r.origin.line == line]
    assert [(str(r.kind), r.reference, str(r.problem)) for r in at] == [(kind, reference, problem)]


def test_nothing_else_has_a_problem(scan: ReferenceScan) -> None:
    planted = {(str(file), line_of(file, text)) for file, text, *_ in PLANTED}
    others = [r for r in scan.with_problems if (r.origin.file, r.origin.line) not in planted]
    assert others == []


def test_django_admin_shows_no_false_problem(scan: ReferenceScan) -> None:
    admin = [r for r in scan.references if r.origin.app == "django.contrib.admin"]
    assert len(admin) > 50
    assert [r for r in admin if r.problem is not None] == []
    assert not scan.problems
