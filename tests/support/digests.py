"""Digests hashed by the hashing processes in the background, as the tests wait for them."""

from __future__ import annotations

import time

from inspector.core import fingerprints
from inspector.core.reading import FileStamp


def known_soon(stamps: list[FileStamp], seconds: float = 30.0) -> list[str | None]:
    """Return what this process knows of ``stamps`` once it knows them all (or time is up)."""
    deadline = time.monotonic() + seconds
    while any(fingerprints.peek(s) is None for s in stamps) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [fingerprints.peek(s) for s in stamps]
