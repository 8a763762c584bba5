"""The dashboard in real Chromium: follow a count, filter and sort through htmx, read a diff,
download the CSV, and take the screenshots the README shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from inspector.core.rows import CSV_COLUMNS

pytestmark = pytest.mark.django_db(transaction=True)
CONFLICT = "admin/css/base.css"


def rows(page: Page) -> list[str]:
    return page.locator("#results tbody td:first-child code").all_inner_texts()


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def mark_document(page: Page) -> None:
    """Tag the current document: an htmx swap keeps the tag, a full page load loses it."""
    page.evaluate("window.__sameDocument = true")


def settled(page: Page) -> None:
    """Wait until htmx has swapped and settled the new content (sort headers need no wiring:
    inspector.js sends them through the filter form)."""
    page.wait_for_function(
        "window.htmx !== undefined"
        " && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def same_document(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def test_overview_to_conflicts_filter_sort_detail_and_csv(
    page: Page, live_server: Any, staff_session: Callable[[Page], None], screenshot_dir: Path
) -> None:
    staff_session(page)
    page.goto(f"{live_server.url}/assets/")
    expect(page.get_by_role("heading", name="Static files")).to_be_visible()
    page.screenshot(path=screenshot_dir / "overview-light.png", full_page=True)

    page.locator(".counts a.status-conflict").click()
    page.wait_for_url("**/assets/paths/?status=conflict")
    assert CONFLICT in rows(page)
    assert all(
        badge == "conflict"
        for badge in page.locator("#results tbody .badge").all_inner_texts()
        if badge in {"unique", "duplicate", "conflict", "absent"}
    )

    # Widen to duplicates too: htmx swaps the results in place and pushes the URL.
    mark_document(page)
    page.get_by_label("duplicate").check()
    page.wait_for_url(lambda url: query(url).get("status", []) == ["duplicate", "conflict"])
    expect(page.locator("#results tbody")).to_contain_text("img/logo.svg")
    settled(page)
    assert same_document(page), "the filter reloaded the whole page instead of swapping"

    # Sort by size, largest first (two clicks), with the keyboard.
    size = page.locator("#results thead a", has_text="Size")
    size.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=size**")
    expect(page.locator('#results th[aria-sort="ascending"]')).to_contain_text("Size")
    settled(page)
    assert same_document(page), "sorting reloaded the page"
    page.locator("#results thead a", has_text="Size").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=-size**")
    expect(page.locator('#results th[aria-sort="descending"]')).to_contain_text("Size")
    settled(page)
    assert same_document(page)
    sizes = page.locator("#results tbody td.num:nth-child(6)").all_inner_texts()
    assert len(sizes) >= 2
    page.screenshot(path=screenshot_dir / "paths-light.png", full_page=True)

    # The URL alone reproduces the view: open it fresh.
    shared = page.url
    page.goto(shared)
    expect(page.locator('#results th[aria-sort="descending"]')).to_contain_text("Size")
    assert page.get_by_label("duplicate").is_checked()

    # The CSV download carries the same rows.
    with page.expect_download() as download_info:
        page.locator("#results a", has_text="CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(exported[0]) == CSV_COLUMNS
    assert sorted(row["path"] for row in exported) == sorted(rows(page))

    # Detail of the conflict: both candidates and the diff.
    page.locator("#results a", has_text=CONFLICT).click()
    page.wait_for_url(f"**/assets/paths/{CONFLICT}")
    expect(page.locator("table.candidates tbody tr")).to_have_count(2)
    # The admin stylesheet's long diff: its first hunk shown, the rest folded until asked for.
    expect(page.locator("pre.diff").first).to_be_visible()
    assert page.locator("pre.diff .diff-added").count() > 0
    more = page.locator("details.diff-more").first
    expect(more.locator("pre.diff")).to_be_hidden()
    folded = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=screenshot_dir / "detail-light.png", full_page=True)
    more.locator("summary").click()
    expect(more.locator("pre.diff")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollHeight") > folded + 2000, "folded before"


def test_search_as_you_type_and_back_button(
    page: Page, live_server: Any, staff_session: Callable[[Page], None]
) -> None:
    staff_session(page)
    page.goto(f"{live_server.url}/assets/paths/")
    mark_document(page)
    page.get_by_label("Search paths").fill("icon-addlink")
    page.wait_for_url("**q=icon-addlink**")
    expect(page.locator("#results .summary")).to_contain_text("1 of")
    assert rows(page) == ["admin/img/icon-addlink.svg"]
    settled(page)
    assert same_document(page)
    page.go_back()
    page.wait_for_url("**/assets/paths/")
    expect(page.locator("#results .summary")).not_to_contain_text("1 of")


def test_filters_work_with_javascript_off(
    browser: Browser, live_server: Any, staff_session: Callable[[Page], None]
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        staff_session(page)
        page.goto(f"{live_server.url}/assets/paths/")
        page.get_by_label("conflict").check()
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**status=conflict**")
        assert CONFLICT in rows(page)
        assert "img/logo.svg" not in rows(page)
    finally:
        context.close()


# Elements that reach past the right edge, leaving out those inside a sideways-scrolling box.
WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5 && !el.closest('.scroll'))
    .slice(0, 5).map(el => el.tagName + ' ' + (el.id || el.className))"""


def test_dark_mode_and_phone_width(
    dark_page: Page, live_server: Any, staff_session: Callable[[Page], None], screenshot_dir: Path
) -> None:
    staff_session(dark_page)
    dark_page.goto(f"{live_server.url}/assets/")
    background = dark_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 22, 24)", background
    dark_page.screenshot(path=screenshot_dir / "overview-dark.png", full_page=True)
    dark_page.goto(f"{live_server.url}/assets/paths/{CONFLICT}")
    dark_page.screenshot(path=screenshot_dir / "detail-dark.png", full_page=True)
    # 320px, narrower than most phones, leaves room for fonts wider than this machine's.
    dark_page.set_viewport_size({"width": 320, "height": 700})
    for url in ("/assets/", f"/assets/paths/{CONFLICT}", "/assets/paths/"):
        dark_page.goto(f"{live_server.url}{url}")
        culprits = dark_page.evaluate(WIDER_THAN_SCREEN)
        assert not culprits, f"{url} scrolls sideways on a phone because of {culprits}"
    dark_page.screenshot(path=screenshot_dir / "paths-phone-dark.png", full_page=True)


def test_the_first_finding_is_the_would_be_500_and_leads_to_its_error_badge(
    page: Page,
    live_server: Any,
    staff_session: Callable[[Page], None],
    settings: Any,
    tmp_path: Path,
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from inspector.core import caches

    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("demo_setup", verbosity=0, stdout=StringIO())
    caches.clear()
    staff_session(page)
    page.goto(f"{live_server.url}/assets/")
    first = page.locator(".needs-a-look li").first
    expect(first).to_contain_text("shop/css/new-arrivals.css")
    expect(first.locator(".badge").first).to_have_text("error")
    first.get_by_role("link").click()
    page.wait_for_url("**/assets/paths/shop/css/new-arrivals.css")
    badge = page.locator(".layer-statuses .badge").first
    expect(badge).to_have_text("error")
    expect(badge).to_have_class("badge severity-error")
    expect(page.locator(".reasons")).to_contain_text("raises")
