"""The Assets panel in real Chromium: open the demo's checkout page, open the toolbar's panel
(rendered inside the toolbar's shadow DOM, loaded from the toolbar store), see the rows and the
red "would be a 500", and save a screenshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_panel_shows_the_rows_and_the_red_would_500(
    page: Page,
    live_server: Any,
    demo_toolbar: None,
    screenshot_dir: Path,
    staff_session: Callable[[Page], None],
) -> None:
    # The panel shows its rows to staff with inspector.view_assets only.
    staff_session(page)
    page.goto(f"{live_server.url}/checkout/")
    button = page.locator("#djdt-AssetsPanel")
    expect(button).to_contain_text("6 used · 1 conflict · 1 would 500")

    button.get_by_role("link").click()
    panel = page.locator("#AssetsPanel")
    expect(panel).to_be_visible()
    rows = panel.locator("tr.inspector-file")
    expect(rows).to_have_count(6)
    expect(panel.locator("tr.inspector-file", has_text="admin/css/base.css")).to_contain_text(
        "conflict"
    )

    warning = panel.locator("tr.inspector-would-500 .inspector-500")
    expect(warning).to_have_count(1)
    expect(warning).to_have_text("would be a 500 with DEBUG=False")
    expect(panel.locator("tr.inspector-would-500")).to_contain_text("shop/css/new-arrivals.css")
    color = warning.evaluate("element => getComputedStyle(element).color")
    assert color in {"rgb(198, 40, 40)", "rgb(255, 138, 128)"}, color  # light or dark theme red

    references = panel.locator("tr.inspector-reference")
    expect(references).to_have_count(2)
    expect(references.nth(1)).to_contain_text("points at no file (404)")

    # The page itself is untouched by the panel's styles: they live in the shadow root.
    assert page.evaluate("document.querySelectorAll('.inspector-panel').length") == 0
    page.screenshot(path=screenshot_dir / "panel-assets.png")
