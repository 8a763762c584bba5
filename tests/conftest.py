from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import caches

from inspector import fingerprints
from inspector.inventory import clear_inventory_cache

from .layout import Layout


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Every test starts cold: no inventory, no fingerprints in memory or in the shared cache."""
    clear_inventory_cache()
    fingerprints.clear_memory_cache()
    caches["inspector"].clear()
    yield
    clear_inventory_cache()


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path)
