"""A process that checks once (the CLI) keeps nothing that only a later check would use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from inspector.core import caches, inventory
from inspector.core.manifest import expected
from tests.support.layout import Layout, collected_app

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
FILES = {
    "css/a.css": 'b { background: url("../img/x.png") }\n',
    "css/plain.css": "b { color: red }\n",
    "img/x.png": b"png1",
}


@pytest.fixture
def once() -> Iterator[None]:
    caches.clear()
    caches.checks_once()
    yield
    caches.checks_once(False)
    caches.clear()


def answer() -> list[dict[str, object]]:
    out = StringIO()
    call_command("inspect_assets", "--format", "json", stdout=out)
    rows: list[dict[str, object]] = json.loads(out.getvalue())
    return rows


def kept() -> tuple[int, bool]:
    """Return how many rewrites are kept, and whether the sources' listings are."""
    return len(expected._rewrites), bool(inventory._state.listings)


def test_a_process_that_checks_many_times_keeps_what_the_next_check_reuses(
    layout: Layout,
) -> None:
    with collected_app(layout, "kept", FILES, MANIFEST):
        caches.clear()
        answer()
        rewrites, listings = kept()
        assert rewrites >= 2  # one per CSS file at least
        assert listings


def test_a_process_that_checks_once_keeps_none_of_it_and_answers_the_same(
    layout: Layout, once: None
) -> None:
    with collected_app(layout, "once", FILES, MANIFEST):
        first = answer()
        assert kept() == (0, False)
        caches.checks_once(False)
        caches.clear()
        assert answer() == first
