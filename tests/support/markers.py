"""Markers by directory: a test's folder says which real, slow part it starts.

``tests/s3/`` starts SeaweedFS, ``tests/worker/`` a ``db_worker`` process, any ``browser/``
folder Chromium. Each session's conftest applies them to the items under its own root, so a test
cannot be filed in one of those folders and escape its marker (or carry it anywhere else);
``pytest -m "not s3 and not worker and not browser"`` is then the fast run. The markers are
registered in ``pyproject.toml`` and ``--strict-markers`` rejects any other name.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

DIRECTORY_MARKERS = {"s3": "s3", "worker": "worker", "browser": "browser"}


def mark_by_directory(items: Iterable[pytest.Item], root: Path) -> None:
    """Add the marker of every marked folder between ``root`` and each item's file."""
    for item in items:
        try:
            folders = item.path.parent.relative_to(root).parts
        except ValueError:
            continue  # not under this root: another conftest's business
        for folder in folders:
            if folder in DIRECTORY_MARKERS:
                item.add_marker(DIRECTORY_MARKERS[folder])
