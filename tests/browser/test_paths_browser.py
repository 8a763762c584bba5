"""The paths table in Chromium: a search and a sort sent at once end in one agreeing state, and
a sort by keyboard keeps focus on the header that was pressed."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.layout import Layout

pytestmark = pytest.mark.django_db(transaction=True)
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
NAMES = ["css/a.css", "css/b.css", "js/b.js", "js/c.js", "img/bb.svg", "img/zz.svg"]
PATHS = "/assets/paths/"


@pytest.fixture
def project(layout: Layout) -> Layout:
    folder = layout.folder("project")
    for name in NAMES:
        layout.write(folder, name, name)
    return layout


def shown_paths(page: Page) -> list[str]:
    return page.locator("#results tbody tr td:first-child code").all_inner_texts()


def test_a_search_then_a_sort_at_once_agree_in_the_url_and_the_table(
    page: Page,
    live_server: Any,
    log_in_as: Callable[[Page, Any], None],
    viewer: Any,
    project: Layout,
) -> None:
    with project.settings(apps=["js_lib_htmx"], dirs=[project.root / "project"], finders=[FS]):
        log_in_as(page, viewer)
        page.goto(f"{live_server.url}{PATHS}")
        page.wait_for_function("window.htmx !== undefined")
        held: list[Route] = []
        # Every fragment request waits, so they can be answered newest first: the order in
        # which a slow server answers two of them is what made the page disagree.
        fragments = re.compile(r"/assets/paths/\?")

        def hold(route: Route) -> None:
            held.append(route)

        page.route(fragments, hold)
        page.locator("#id_q").fill("b")
        page.locator("#results thead").get_by_role("link", name="Path").click()
        for _ in range(60):  # the search box's own request comes after its pause
            if len(held) >= 2:
                break
            page.wait_for_timeout(50)
        page.unroute(fragments, hold)
        for route in reversed(held):
            # One that htmx aborted (a newer one replaced it) cannot be continued.
            with contextlib.suppress(Exception):
                route.continue_()
        expect(page.locator("#results thead th[aria-sort]")).to_have_attribute(
            "aria-sort", "ascending"
        )
        page.wait_for_load_state("networkidle")
        query = parse_qs(urlsplit(page.url).query)
        assert query.get("q") == ["b"], page.url
        assert query.get("sort") == ["path"], page.url
        expect(page.locator("#id_q")).to_have_value("b")
        assert shown_paths(page) == sorted(n for n in NAMES if "b" in n)
        expect(page.locator("#results thead th[aria-sort]")).to_contain_text("Path")


def test_a_sort_by_keyboard_keeps_focus_on_its_header(
    page: Page,
    live_server: Any,
    log_in_as: Callable[[Page, Any], None],
    viewer: Any,
    project: Layout,
) -> None:
    with project.settings(apps=["js_lib_htmx"], dirs=[project.root / "project"], finders=[FS]):
        log_in_as(page, viewer)
        page.goto(f"{live_server.url}{PATHS}")
        page.wait_for_function("window.htmx !== undefined")
        header = page.locator("#results thead").get_by_role("link", name="Path")
        header.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"sort=path"))
        expect(page.locator("#results thead th[aria-sort]")).to_contain_text("Path")
        assert shown_paths(page) == sorted(NAMES)
        expect(page.locator("#results thead").get_by_role("link", name="Path")).to_be_focused()
        # Again, the other way round: the new header is the one that keeps focus.
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"sort=-path"))
        expect(page.locator("#results thead").get_by_role("link", name="Path")).to_be_focused()
        assert shown_paths(page) == sorted(NAMES, reverse=True)
