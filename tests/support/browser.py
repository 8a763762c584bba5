"""Real Chromium (Debian's ``chromium``) driven by Playwright against pytest-django's live server.

Fixtures for every ``browser/`` folder (the app's and the demo's conftest import them):
``browser`` (one Chromium per session), ``page`` (a fresh context, light colour scheme),
``dark_page`` (the same, dark), ``log_in_as`` (logs a given user into a context), and
``screenshot_dir`` where tests save what they saw (``var/screenshots`` of the repository unless
``INSPECTOR_SCREENSHOTS`` says otherwise).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

playwright_sync = pytest.importorskip("playwright.sync_api")

# Without the background-networking flags Chromium keeps dialling Google on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
REPO = Path(__file__).resolve().parents[2]


def _chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get).")
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[playwright_sync.Browser]:
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _new_page(browser: playwright_sync.Browser, scheme: str) -> Iterator[playwright_sync.Page]:
    context = browser.new_context(
        color_scheme=scheme, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page(browser: playwright_sync.Browser) -> Iterator[playwright_sync.Page]:
    yield from _new_page(browser, "light")


@pytest.fixture
def dark_page(browser: playwright_sync.Browser) -> Iterator[playwright_sync.Page]:
    yield from _new_page(browser, "dark")


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    folder = Path(os.environ.get("INSPECTOR_SCREENSHOTS", REPO / "var" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def log_in_as(live_server: object) -> Callable[[playwright_sync.Page, AbstractBaseUser], None]:
    """Return a function that logs a given user into the page's browser context: for pages whose
    permissions matter, where the superuser of ``staff_session`` would prove nothing."""

    def log_in(page: playwright_sync.Page, user: AbstractBaseUser) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": str(live_server)}]
        )

    return log_in
