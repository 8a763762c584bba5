"""Issue 15 in real Chromium: every page under a strict Content-Security-Policy with no
violation (item 17), and a bidi override in a file name that cannot reorder the page (item 11)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import django
import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from playwright.sync_api import ConsoleMessage, Page, expect

from inspector.models import CollectionRun, Phase
from tests.support.layout import Layout

pytestmark = pytest.mark.django_db(transaction=True)
FS = "django.contrib.staticfiles.finders.FileSystemFinder"
SPOOF = "img/evil\u202egpj.css"
STRICT = {"default-src": ["'self'"], "img-src": ["'self'", "data:"]}


@contextmanager
def serving_with_current_middleware(live_server: Any) -> Iterator[None]:
    """Have the session's live server load MIDDLEWARE again (it loaded it when it started)."""
    httpd = live_server.thread.httpd
    before = httpd.get_app()
    httpd.set_app(StaticFilesHandler(WSGIHandler()))
    try:
        yield
    finally:
        httpd.set_app(before)


@pytest.fixture
def staff_session(
    log_in_as: Callable[[Page, Any], None], django_user_model: Any
) -> Callable[[Page], None]:
    """Return a function that logs a superuser into the page's browser context."""

    def log_in(page: Page) -> None:
        log_in_as(page, django_user_model.objects.create_superuser("hardening", password="x"))

    return log_in


def violations(page: Page) -> list[str]:
    found: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            found.append(message.text)

    page.on("console", seen)
    return found


@pytest.mark.skipif(django.VERSION < (6, 0), reason="Django 6's own CSP middleware")
def test_every_page_under_a_strict_csp_has_no_violation(
    page: Page, live_server: Any, layout: Layout, staff_session: Callable[[Page], None]
) -> None:
    project = layout.folder("project")
    layout.write(project, "css/site.css", "body {}")
    run = CollectionRun.objects.create(phase=Phase.DONE, active=None, storage="s")
    middleware = [*settings.MIDDLEWARE, "django.middleware.csp.ContentSecurityPolicyMiddleware"]
    refused = violations(page)
    with (
        layout.settings(
            apps=["js_lib_htmx"],
            dirs=[str(project)],
            finders=[FS],
            MIDDLEWARE=middleware,
            SECURE_CSP=STRICT,
        ),
        serving_with_current_middleware(live_server),
    ):
        staff_session(page)
        for url in [
            "/assets/",
            "/assets/paths/",
            "/assets/paths/css/site.css",
            "/assets/collect/",
            "/assets/collect/runs/",
            f"/assets/collect/runs/{run.pk}/",
        ]:
            response = page.goto(f"{live_server.url}{url}")
            assert response is not None and response.status == 200, url
            assert "default-src 'self'" in (response.header_value("content-security-policy") or "")
            page.wait_for_function("window.htmx !== undefined")
            # htmx added no <style>; the indicator is styled by the app's own stylesheet.
            assert page.locator("style").count() == 0, url
        # An htmx swap too: typing in the search box fetches the results fragment.
        page.goto(f"{live_server.url}/assets/paths/")
        indicator = page.locator("#loading")
        assert indicator.evaluate("e => getComputedStyle(e).opacity") == "0"
        page.locator("#id_q").fill("site")
        page.wait_for_url("**/assets/paths/?q=site")
        expect(page.locator("#results")).to_contain_text("css/site.css")
    assert refused == []


def test_a_bidi_override_in_a_name_is_shown_and_isolated(
    page: Page, live_server: Any, layout: Layout, staff_session: Callable[[Page], None]
) -> None:
    project = layout.folder("project")
    layout.write(project, SPOOF, "x")
    layout.write(project, "css/site.css", "body {}")
    with layout.settings(apps=["js_lib_htmx"], dirs=[str(project)], finders=[FS]):
        staff_session(page)
        page.goto(f"{live_server.url}/assets/paths/")
        name = page.locator("#results tbody bdi", has_text="evil")
        expect(name).to_have_text("img/evil‹U+202E›gpj.css")
        assert name.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
        name.click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("img/evil‹U+202E›gpj.css")
        assert "\u202e" not in page.content()
