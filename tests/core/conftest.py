"""Fixtures of the core's tests."""

from __future__ import annotations

import pytest

from inspector.core import pool
from inspector.core.storage import listing


@pytest.fixture
def through_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send even a handful of files to the hashing processes, a few per batch, and walk the
    collected folder there."""
    if pool._process_pool() is None:
        pytest.skip("one core: no hashing processes")
    monkeypatch.setattr(pool, "PROCESS_MIN_FILES", 1)
    monkeypatch.setattr(pool, "BATCH_FILES", 3)
    monkeypatch.setattr(listing, "LIST_AHEAD_MIN_FILES", 1)
