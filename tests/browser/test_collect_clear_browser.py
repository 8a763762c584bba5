"""Ticking Clear on the collect page in Chromium: the preview turns into the clearing one in
place (no page load), the confirmation field appears, and the start button says it deletes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.layout import Layout

pytestmark = pytest.mark.django_db(transaction=True)
FS = "django.contrib.staticfiles.finders.FileSystemFinder"


def test_ticking_clear_updates_the_preview_in_place(
    page: Page,
    live_server: Any,
    log_in_as: Callable[[Page, Any], None],
    runner: Any,
    layout: Layout,
) -> None:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    layout.write(layout.folder("collected"), "old/gone.css", "x")
    with layout.settings(apps=["js_lib_htmx"], dirs=[project], finders=[FS]):
        log_in_as(page, runner)
        page.goto(f"{live_server.url}/assets/collect/")
        page.wait_for_function("window.htmx !== undefined")
        page.evaluate("window.samePage = true")
        confirm = page.get_by_label("Type the storage's location to confirm")
        start = page.locator("button.start")
        expect(confirm).to_be_hidden()
        expect(start).to_have_text("Start collection", use_inner_text=True)
        expect(page.locator(".plan-counts")).not_to_contain_text("to delete")
        normal = start.evaluate("e => getComputedStyle(e).backgroundColor")

        page.get_by_label("Clear the storage first").check()
        expect(page.locator(".plan-counts")).to_contain_text("1 to delete")
        expect(page.get_by_role("heading", name="Deleted first")).to_be_visible()
        expect(confirm).to_be_visible()
        expect(start).to_have_text("Clear the storage and collect", use_inner_text=True)
        assert start.evaluate("e => getComputedStyle(e).backgroundColor") != normal
        assert page.evaluate("window.samePage") is True, "swapped in place, no page load"
        assert page.url.endswith("/assets/collect/?clear=on")
        expect(page.get_by_label("Clear the storage first")).to_be_focused()

        page.get_by_label("Clear the storage first").uncheck()
        expect(page.locator(".plan-counts")).not_to_contain_text("to delete")
        expect(confirm).to_be_hidden()
        expect(start).to_have_text("Start collection", use_inner_text=True)
