"""The app's test session: the shared fixtures, and the slow parts marked by their directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fixtures import (  # noqa: F401  (fixtures, found by name)
    _fresh_caches,
    layout,
    runner,
    viewer,
    viewer_client,
)
from tests.support.markers import mark_by_directory


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_by_directory(items, Path(__file__).parent)
