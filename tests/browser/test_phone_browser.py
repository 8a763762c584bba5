"""The paths table and the run history at phone width (375 px) in Chromium: stacked cards, the
path first, no value squeezed under ten characters, names broken only between their parts, and
the filters behind a "Filters" disclosure (always open on a wide screen)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db(transaction=True)
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
# No hyphen: the browser may break after one, as after any hyphen in text.
LONG = "vendor/select2_bootstrap_theme/distribution/stylesheets/select2_bootstrap_theme.min.css"
NAMES = ["css/site.css", "js/app.js", LONG]
PHONE = {"width": 375, "height": 812}

# For every card of the table: its cells from top to bottom, and the width a value gets (the
# cell's width beside its label), in characters ("0").
CARDS = """table => {
  const probe = document.createElement("span");
  probe.textContent = "0000000000";
  table.querySelector("tbody td").append(probe);
  const ch = probe.getBoundingClientRect().width / 10;
  probe.remove();
  return [...table.tBodies[0].rows].map(row => ({
    display: getComputedStyle(row).display,
    width: row.getBoundingClientRect().width,
    top: row.getBoundingClientRect().top,
    first: row.cells[0].getBoundingClientRect().top,
    cells: [...row.cells].filter(td => getComputedStyle(td).display !== "none").map(td => {
      const style = getComputedStyle(td);
      const value = td.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const top = td.getBoundingClientRect().top;
      return {label: td.dataset.label || "", top: top, chars: value / ch};
    }),
  }));
}"""

# For every text piece between two <wbr> of the code elements: on how many lines it lies.
PIECES = """codes => codes.flatMap(code => [...code.querySelectorAll("bdi")].flatMap(bdi =>
  [...bdi.childNodes].filter(n => n.nodeType === Node.TEXT_NODE && n.textContent).map(n => {
    const range = document.createRange();
    range.selectNodeContents(n);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    return [n.textContent, tops.size];
  })))"""


def assert_cards(page: Page, table: str, first_cell: str) -> None:
    cards = page.locator(table).evaluate(CARDS)
    assert cards, "rows to show"
    screen = page.viewport_size["width"] if page.viewport_size else 0
    for before, after in zip(cards, cards[1:], strict=False):
        assert after["top"] > before["top"], "stacked, one under the other"
    for card in cards:
        assert card["display"] == "block"
        assert card["width"] > screen * 0.8, "a card spans the screen"
        assert card["cells"][0]["label"] == "" and card["first"] == min(
            c["top"] for c in card["cells"]
        ), f"{first_cell} first"
        for cell in card["cells"]:
            assert cell["chars"] >= 10, cell
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= screen, "nothing scrolls sideways"


def test_the_paths_table_is_cards_on_a_phone_with_filters_behind_a_disclosure(
    browser: Any,
    live_server: Any,
    log_in_as: Callable[[Page, Any], None],
    viewer: Any,
    layout: Layout,
    screenshot_dir: Path,
) -> None:
    project = layout.folder("project")
    for name in NAMES:
        layout.write(project, name, name)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    with layout.settings(apps=["js_lib_htmx"], dirs=[project], finders=[FS]):
        log_in_as(page, viewer)
        page.goto(f"{live_server.url}/assets/paths/")
        assert_cards(page, "#results table", "the path")
        pieces = page.locator("#results tbody td:first-child code").evaluate_all(PIECES)
        assert {text for text, _ in pieces} >= {"select2_bootstrap_theme/", "stylesheets/"}
        assert [piece for piece in pieces if piece[1] != 1] == []
        long_cell = page.locator("#results tbody code", has_text="distribution")
        assert long_cell.evaluate("e => e.getClientRects().length") > 1, "it did wrap"
        facets = page.locator("#filters .facets")
        summary = page.locator("#filters summary", has_text="Filters")
        expect(summary).to_be_visible()
        expect(page.locator("#id_q")).to_be_visible()
        expect(facets).to_be_hidden()
        page.screenshot(path=screenshot_dir / "paths-phone.png", full_page=True)
        summary.click()
        expect(facets).to_be_visible()
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()
        expect(page.locator("#filters .facets")).to_be_visible()
        expect(page.locator("#filters summary")).to_be_hidden()
    context.close()


def test_the_run_history_is_cards_on_a_phone(
    browser: Any,
    live_server: Any,
    log_in_as: Callable[[Page, Any], None],
    viewer: Any,
    layout: Layout,
    screenshot_dir: Path,
) -> None:
    CollectionRun.objects.create(
        phase=Phase.DONE, active=None, storage="/srv/www/example.org/static", copied=12
    )
    CollectionRun.objects.create(
        phase=Phase.FAILED, active=None, storage="s3://bucket/static", error="boom: denied"
    )
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    with layout.settings():
        log_in_as(page, viewer)
        page.goto(f"{live_server.url}/assets/collect/runs/")
        assert_cards(page, "table.runs", "the run")
        expect(page.locator("form.filters summary", has_text="Filters")).to_be_visible()
        expect(page.locator("form.filters fieldset")).to_be_hidden()
        page.screenshot(path=screenshot_dir / "runs-phone.png", full_page=True)
    context.close()
