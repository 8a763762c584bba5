"""What the live layer found: one entry per path, and the report over one listing.

Kept apart from ``live`` (comparing sources with the collected storage) so each module holds one
concept; ``live`` re-exports both names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from django.core.files.storage import Storage

from . import fingerprints
from .status import LiveStatus
from .storage.listing import Snapshot, gunzipped, read_bytes


class LiveEntry(NamedTuple):
    """What the collected storage holds for one path, against its source (a named tuple: a
    check makes one per path)."""

    path: str
    status: LiveStatus
    stored_name: str | None = None
    stored_size: int | None = None
    note: str = ""


@dataclass(frozen=True)
class LiveReport:
    """Every path's live status, for one listing of the collected storage."""

    storage_class: str
    location: str
    remote: bool
    # When the listing was taken (time.time()), and how long it took.
    checked_at: float
    listing_seconds: float
    file_count: int
    problems: tuple[str, ...] = ()
    # Collected copies read because their listing carried no usable md5.
    reads: int = 0
    orphans: tuple[str, ...] = ()
    _entries: dict[str, LiveEntry] = field(default_factory=dict, repr=False, compare=False)
    _storage: Storage | None = field(default=None, repr=False, compare=False)
    _snapshot: Snapshot | None = field(default=None, repr=False, compare=False)

    @cached_property
    def checked(self) -> bool:
        """Return True if the storage could be listed (some paths may still be unknown)."""
        return bool(self._entries) and not all(
            e.status == LiveStatus.UNKNOWN for e in self._entries.values()
        )

    def entry(self, path: str) -> LiveEntry:
        found = self._entries.get(path)
        if found is None:
            return LiveEntry(path, LiveStatus.UNKNOWN, note="not checked")
        return found

    def status_of(self, path: str) -> LiveStatus | None:
        found = self._entries.get(path)
        return None if found is None else found.status

    def counts(self) -> Counter[str]:
        """Return how many paths carry each live status (a copy: the caller may change it)."""
        return self._counts.copy()

    @cached_property
    def _counts(self) -> Counter[str]:
        return Counter(str(e.status) for e in self._entries.values())

    @property
    def storage(self) -> Storage | None:
        """The inspector's own instance of the collected storage (None if it could not be made)."""
        return self._storage

    @property
    def snapshot(self) -> Snapshot | None:
        """The listing this report compared against (None if the storage could not be made)."""
        return self._snapshot

    def stored_md5(self, name: str) -> tuple[str | None, int | None] | None:
        """Return (md5 if known cheaply, size) of a stored name; None if the listing lacks it."""
        stored = self._snapshot.files.get(name) if self._snapshot is not None else None
        if stored is None:
            return None
        if stored.stamp is not None:
            try:  # the served bytes are fetched now: compared with the copy as it is now
                now = fingerprints.same_file_now(stored.stamp)
                return fingerprints.md5(now), now.size
            except OSError:
                return None, stored.size
        gzipped = bool(getattr(self._storage, "gzip", False))
        return (None if gzipped else stored.listed_md5), (None if gzipped else stored.size)

    def read_collected(self, path: str, max_bytes: int) -> bytes | None:
        """Return the collected copy of ``path`` (None if there is none or it is too large).

        Only names this report listed are opened: never a name taken from a request.
        """
        found = self._entries.get(path)
        if found is None or found.stored_name is None or self._storage is None:
            return None
        stored = self._snapshot.files.get(found.stored_name) if self._snapshot else None
        if stored is None or (stored.size is not None and stored.size > max_bytes):
            return None
        # Shown on a page beside the source as it is now, perhaps edited (and grown) since.
        data = read_bytes(self._storage, stored, any_version=True, limit=max_bytes)
        if len(data) > max_bytes:
            return None
        return gunzipped(self._storage, data)
