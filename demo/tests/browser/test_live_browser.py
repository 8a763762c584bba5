"""The live layer in real Chromium: from the overview's "modified" count to the diff of the
collected copy, a re-check after fixing it, and a probe of the served URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)
DRIFTED = "admin/css/base.css"


@pytest.fixture
def drifted_collection() -> Iterator[Path]:
    """A real collection whose copy of ``DRIFTED`` an old release left behind."""
    call_command("collectstatic", interactive=False, verbosity=0, clear=True)
    copy = Path(settings.STATIC_ROOT) / DRIFTED
    copy.write_text("/* the previous release */\nbody { color: black; }\n")
    yield copy
    call_command("collectstatic", interactive=False, verbosity=0, clear=True)


def test_from_the_modified_count_to_the_diff_and_a_recheck(
    request: pytest.FixtureRequest,
    page: Page,
    live_server: Any,
    staff_session: Callable[[Page], None],
    drifted_collection: Path,
    screenshot_dir: Path,
) -> None:
    staff_session(page)
    # The dashboard's probe needs to know where the site is served (never from the request).
    where = override_settings(
        ASSET_INSPECTOR={**settings.ASSET_INSPECTOR, "BASE_URL": live_server.url}
    )
    where.enable()
    request.addfinalizer(where.disable)
    page.goto(f"{live_server.url}/assets/")
    modified = page.locator("a.live-modified")
    expect(modified).to_contain_text("1 modified")
    modified.click()
    page.wait_for_url("**/assets/paths/?live=modified")
    page.get_by_role("link", name=DRIFTED).click()
    expect(page.locator("#live-title")).to_be_visible()
    diff = page.locator("section[aria-labelledby=live-title] pre.diff")
    expect(diff).to_contain_text("-/* the previous release */")
    page.screenshot(path=screenshot_dir / "live-detail.png", full_page=True)

    # Fix the deploy by hand, then ask for a fresh look: the page says current.
    call_command("collectstatic", interactive=False, verbosity=0, clear=True)
    page.locator("#live-title ~ dl").get_by_role("button", name="Re-check now").click()
    expect(page.locator("#live-title ~ dl .badge").first).to_have_text("current")

    # The served probe: this live server serves the sources, the same bytes as the collection.
    page.get_by_role("button", name="Probe the served URL").click()
    expect(page.locator("#served-title ~ dl .badge").first).to_have_text("ok")
