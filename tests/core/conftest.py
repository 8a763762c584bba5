"""Fixtures of the core's tests."""

from __future__ import annotations

import threading

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


@pytest.fixture
def pool_to_itself(through_the_pool: None) -> None:
    """``through_the_pool`` with hashing processes of its own: none another test broke, and no
    check another test left running in the background sends them work (work sent
    ``meanwhile`` gives way to any)."""
    for thread in threading.enumerate():
        if thread.name == "inspector-layers":
            thread.join(60)
    pool.stop()
    pool._process_pool()  # afresh: work sent meanwhile starts none
