"""The demo's test session: the demo project's planted findings, through every client.

Runs apart from the app's session (``pytest demo/tests --ds=demo.tests.settings``). It reuses the
app's test helpers (``tests.support``), never the other way round. ``demo_collected`` is the demo
collected with a manifest as ``demo_setup`` does it, once per session; ``demo_toolbar`` turns the
toolbar on over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from demo.shop.management.commands.demo_setup import NOT_COLLECTED
from tests.support.fixtures import (  # noqa: F401  (fixtures, found by name)
    _fresh_caches,
    layout,
    runner,
    viewer,
    viewer_client,
)
from tests.support.markers import mark_by_directory
from tests.support.toolbar import TOOLBAR_CONFIG

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_by_directory(items, Path(__file__).parent)


@pytest.fixture(scope="session")
def demo_collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo collected with a manifest, like ``demo_setup`` does (NOT_COLLECTED left out)."""
    root = tmp_path_factory.mktemp("demo-collected")
    with override_settings(STATIC_ROOT=root, STORAGES=MANIFEST_STORAGES):
        call_command(
            "collectstatic", interactive=False, verbosity=0, ignore_patterns=list(NOT_COLLECTED)
        )
    return root


@pytest.fixture
def demo_toolbar(demo_collected: Path) -> Iterator[None]:
    """The demo project with DEBUG on, the toolbar mounted and the collected manifest."""
    # Re-entering the settings gives a fresh storage: collectstatic emptied the old one's manifest.
    with override_settings(
        DEBUG=True,
        ROOT_URLCONF="demo.tests.urls",
        STATIC_ROOT=demo_collected,
        STORAGES=MANIFEST_STORAGES,
        DEBUG_TOOLBAR_CONFIG=TOOLBAR_CONFIG,
        # The browser may reach the live server over IPv6 loopback.
        INTERNAL_IPS=["127.0.0.1", "::1"],
    ):
        yield
