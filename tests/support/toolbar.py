"""The debug toolbar as the panel tests drive it: the store cleared around each test, and the
Assets panel read back the way the toolbar renders it later, from its store.

The app's panel tests (``tests/panels/``) and the demo's checkout-page tests share these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from debug_toolbar.store import MemoryStore
from debug_toolbar.toolbar import DebugToolbar
from django.http import HttpResponse

from inspector import panels
from inspector.core import caches

ASSETS = "inspector.panels.AssetsPanel"
BUILTIN = "debug_toolbar.panels.staticfiles.StaticFilesPanel"
TOOLBAR_CONFIG = {"IS_RUNNING_TESTS": False}


@pytest.fixture(autouse=True)
def fresh_toolbar_state() -> Iterator[None]:
    """No kept inventory and no stored toolbars leak from one test into the next: automatic in
    every module that imports it."""
    caches.clear()
    MemoryStore.clear()
    yield
    caches.clear()
    MemoryStore.clear()


def rows_by_path(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["path"]: row for row in stats["files"]}


def from_store(request_id: str) -> panels.AssetsPanel:
    """Return the panel as the toolbar rebuilds it from its store to render it later."""
    stored = DebugToolbar.fetch(request_id, "AssetsPanel")
    assert stored is not None, "the store lost the request"
    panel = stored.get_panel_by_id("AssetsPanel")
    assert isinstance(panel, panels.AssetsPanel)
    return panel


def request_id_of(response: HttpResponse) -> str:
    found = re.search(rb'data-request-id="([0-9a-f]+)"', response.content)
    assert found, "the toolbar was not inserted"
    return found.group(1).decode()
