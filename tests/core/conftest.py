"""Fixtures of the core's tests."""

from __future__ import annotations

import pytest

from inspector.core import reading
from inspector.core.storage import listing


@pytest.fixture
def through_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send even a handful of files to the hashing processes, a few per batch, and walk the
    collected folder there."""
    if reading._process_pool() is None:
        pytest.skip("one core: no hashing processes")
    monkeypatch.setattr(reading, "PROCESS_MIN_FILES", 1)
    monkeypatch.setattr(reading, "BATCH_FILES", 3)
    monkeypatch.setattr(listing, "LIST_AHEAD_MIN_FILES", 1)
