"""The demo's browser tests: Chromium fixtures from the app's ``tests/support/browser.py``, and
``staff_session``, which logs the demo's own superuser (``admin``, as ``demo_setup`` makes it)
into a browser context."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from tests.support import browser as chromium
from tests.support.browser import playwright_sync

# pytest looks fixtures up by name in the conftest; assignments, unlike imports, do not read as
# shadowed where a fixture below takes one of them as an argument.
browser = chromium.browser
page = chromium.page
dark_page = chromium.dark_page
log_in_as = chromium.log_in_as
screenshot_dir = chromium.screenshot_dir


@pytest.fixture
def staff_session(
    log_in_as: Callable[[playwright_sync.Page, AbstractBaseUser], None],
) -> Callable[[playwright_sync.Page], None]:
    """Return a function that logs a superuser into the page's browser context."""

    def log_in(page: playwright_sync.Page) -> None:
        user_model = get_user_model()
        user = user_model.objects.filter(username="admin").first()
        if user is None:
            user = user_model.objects.create_superuser("admin", "admin@example.com", "admin")
        log_in_as(page, user)

    return log_in
