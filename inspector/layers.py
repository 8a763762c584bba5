"""The three layers of design.md together: the rows every client shows, and their words.

The CLI, the pages and the panel take a ``Layers`` from here instead of assembling the
inventory, the manifest report and the live report each in their own way.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from .collected import page_max_age
from .deployed import LiveReport, get_live_report, orphan_record
from .inventory import Inventory, PathRecord, get_inventory, recent_inventory
from .manifest import ManifestReport, get_manifest_report
from .served import ServedResult


@dataclass(frozen=True)
class Layers:
    """The sources (``inventory``); the manifest and live layers and the served probe's
    results (by path) where they were computed."""

    inventory: Inventory
    manifest: ManifestReport | None = None
    live: LiveReport | None = None
    served: Mapping[str, ServedResult] | None = None

    @cached_property
    def records(self) -> tuple[PathRecord, ...]:
        """Every row, sorted by path: the inventory's, then the paths only the storage has."""
        if self.live is None or not self.live.orphans:
            return self.inventory.paths
        orphans = [orphan_record(path) for path in self.live.orphans]
        return tuple(sorted([*self.inventory.paths, *orphans], key=lambda r: r.path))

    @cached_property
    def _orphans(self) -> frozenset[str]:
        return frozenset(self.live.orphans) if self.live is not None else frozenset()

    def get(self, path: str) -> PathRecord | None:
        """Return the row of ``path``; None for a path no layer lists."""
        record = self.inventory.get(path)
        if record is None and path in self._orphans:
            return orphan_record(path)
        return record

    def manifest_status(self, path: str) -> str | None:
        return str(self.manifest.status_of(path)) if self.manifest is not None else None

    def live_status(self, path: str) -> str | None:
        if self.live is None:
            return None
        status = self.live.status_of(path)
        return str(status) if status is not None else None

    def served_status(self, path: str) -> str | None:
        if self.served is None:
            return None
        result = self.served.get(path)
        return str(result.status) if result is not None else None

    @cached_property
    def counts(self) -> Counter[str]:
        """Return how many rows carry each word: status, flag, manifest and live status."""
        counts = self.inventory.counts()
        counts["absent"] += len(self._orphans)
        if self.manifest is not None:
            counts.update(self.manifest.counts())
        if self.live is not None:
            counts.update(self.live.counts())
        return counts


def page_layers() -> Layers:
    """Return the layers for a page: each reused while its checks are recent enough.

    The sources are re-checked after ``RECHECK_SECONDS``; a remote storage's listing is reused
    for ``REMOTE_MAX_AGE`` (pages say how old it is, and "Re-check now" takes it again).
    """
    inventory = recent_inventory()
    max_age = page_max_age()
    manifest = get_manifest_report(inventory, max_age=max_age)
    live = get_live_report(inventory, manifest, max_age=max_age)
    global _last_page_layers
    last = _last_page_layers
    # The same reports give the same object back: its rows and counts are computed once.
    if (
        last is not None
        and last.inventory is inventory
        and last.manifest is manifest
        and last.live is live
    ):
        return last
    _last_page_layers = Layers(inventory, manifest, live)
    return _last_page_layers


_last_page_layers: Layers | None = None


def command_layers(*, live: bool = True) -> Layers:
    """Return freshly checked layers, as the CLI wants them: nothing older than this call."""
    started = time.time()
    inventory = get_inventory()
    manifest = get_manifest_report(inventory)
    # The manifest layer listed the storage a moment ago: that listing is fresh enough.
    report = get_live_report(inventory, manifest, max_age=time.time() - started) if live else None
    return Layers(inventory, manifest, report)
