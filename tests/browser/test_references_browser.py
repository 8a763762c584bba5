"""From the overview's reference finding to the detail page's "Referenced from", in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.layout import Layout

pytestmark = pytest.mark.django_db(transaction=True)
FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]


def test_overview_reference_finding_leads_to_referenced_from(
    page: Page,
    live_server: Any,
    log_in_as: Callable[[Page, Any], None],
    viewer: Any,
    layout: Layout,
    screenshot_dir: Path,
) -> None:
    static, folder = layout.folder("static"), layout.folder("templates")
    layout.write(static, ".env.example", "KEY=value")
    layout.write(static, "css/site.css", "body {}")
    page_template = layout.write(
        folder,
        "base.html",
        "{% load static %}\n<link href=\"{% static 'css/site.css' %}\">\n"
        "<a href=\"{% static '.env.example' %}\">example settings</a>\n",
    )
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [folder],
            "APP_DIRS": True,
        }
    ]
    # js_lib_htmx serves htmx (found by the app finder): filters swap the results in place.
    apps = ("js_lib_htmx",)
    with layout.settings(apps=apps, dirs=[static], finders=FINDERS, TEMPLATES=templates):
        log_in_as(page, viewer)
        page.goto(f"{live_server.url}/assets/")
        finding = page.locator(".reference-problems li", has_text=".env.example")
        expect(finding).to_contain_text("ignored-by-collect")
        expect(page.locator(".references-count")).to_contain_text("1 reference")
        finding.get_by_role("link", name=".env.example").click()
        page.wait_for_url("**/assets/paths/.env.example")
        section = page.locator("section", has=page.get_by_role("heading", name="Referenced from"))
        expect(section).to_contain_text(f"{page_template}:3")
        expect(section).to_contain_text("static-tag")
        expect(section).to_contain_text("ignored-by-collect")
        page.screenshot(path=screenshot_dir / "referenced-from.png", full_page=True)
        page.get_by_role("link", name="References").click()
        page.wait_for_url("**/assets/references/")
        page.get_by_label("ignored-by-collect").check()
        expect(page.locator("#results tbody tr")).to_have_count(1)
        page.screenshot(path=screenshot_dir / "references.png", full_page=True)
