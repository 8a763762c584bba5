"""The app's browser tests: Chromium fixtures from ``tests/support/browser.py``."""

from __future__ import annotations

from tests.support.browser import (  # noqa: F401  (fixtures, found by name)
    browser,
    dark_page,
    log_in_as,
    page,
    screenshot_dir,
)
