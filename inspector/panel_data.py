"""What the debug-toolbar panel answers from, kept between requests and refreshed in the background.

Building the inventory, its manifest report and the live report for every request would cost
each request a re-stat of every source file and a listing of the collected storage. ``keeper``
keeps the last ones instead: a request re-checks only the files it used (and the manifest file),
and a background thread, rate-limited so browsing never pays much CPU for it, picks up the rest.
The panel itself (``panels``) only renders what this gives it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.core.signals import setting_changed
from django.dispatch import receiver

from .deployed import LiveReport, get_live_report
from .fingerprints import FileStamp
from .inventory import Inventory, get_inventory
from .listings import page_max_age
from .manifest import ManifestReport, get_manifest_report

logger = logging.getLogger(__name__)

# The background refresh (every source file re-stat'ed, the collected storage listed again: 0.5-1 s
# at 20k files) waits at least this long after the previous one, and at least REFRESH_BACKOFF times
# as long as that one took, so it never takes more than a small share of a CPU while browsing.
REFRESH_INTERVAL_S = 2.0
REFRESH_BACKOFF = 20


@dataclass(frozen=True)
class Kept:
    """What the panel answers from: the inventory, its manifest report, the manifest's stamp."""

    inventory: Inventory
    manifest: ManifestReport
    manifest_stamp: tuple[int, ...] | None
    live: LiveReport | None = None
    # Per-path answers derived from the above, reused by every request until the next rebuild:
    # a manifest entry and a reverse() cost ~50 and ~35 us each, 4 ms for a 50-asset page.
    manifest_rows: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)
    links: dict[tuple[object, str, str], str | None] = field(default_factory=dict, compare=False)


class _Keeper:
    """The inventory and manifest report the panel last used, so a request re-stats only its files.

    A warm ``get_inventory()`` re-stats every source file and ``get_manifest_report()`` lists the
    whole collected storage: together ~100 ms at 20k files, which belongs outside the request.
    Each request instead re-stats the candidates of the paths it used and the manifest file, and
    rebuilds at once only when one of those changed (or a used path appeared). A refresh in a
    background thread picks up the rest (a new file that now shadows a used one, a hashed file
    deleted from STATIC_ROOT, anything remote) for the next request.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: Kept | None = None
        # Bumped by forget(): a refresh started before a settings change must not be kept.
        self._generation = 0
        self._refreshing = False
        # Monotonic time before which no background refresh starts.
        self._next_refresh = 0.0

    def forget(self) -> None:
        with self._lock:
            self._kept = None
            self._generation += 1

    def for_paths(self, paths: Iterable[str]) -> Kept:
        """Return an inventory and manifest report that are current for ``paths``."""
        kept = self._kept
        if kept is None or _changed(kept, paths):
            with self._lock:
                generation = self._generation
            started = time.monotonic()
            kept = _build()
            self._keep(kept, generation, time.monotonic() - started)
        else:
            self._refresh_in_background()
        return kept

    def _keep(self, kept: Kept, generation: int, took: float = 0.0) -> None:
        with self._lock:
            if generation == self._generation:
                self._kept = kept
                self._next_refresh = time.monotonic() + max(
                    REFRESH_INTERVAL_S, took * REFRESH_BACKOFF
                )

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing or time.monotonic() < self._next_refresh:
                return
            self._refreshing = True
            generation = self._generation
        threading.Thread(
            target=self._refresh, args=(generation,), name="inspector-panel-refresh", daemon=True
        ).start()

    def _refresh(self, generation: int) -> None:
        started = time.monotonic()
        try:
            self._keep(_build(), generation, time.monotonic() - started)
        except Exception:  # the next request rebuilds in the foreground if it needs to
            logger.debug("background refresh of the inventory failed", exc_info=True)
            with self._lock:
                self._next_refresh = time.monotonic() + REFRESH_INTERVAL_S
        finally:
            with self._lock:
                self._refreshing = False


def _build() -> Kept:
    inventory = get_inventory()
    report = get_manifest_report(inventory)
    # A remote listing is reused as pages reuse it: the panel never waits on one per request.
    live = get_live_report(inventory, report, max_age=page_max_age())
    return Kept(inventory, report, _manifest_stamp(report), live)


def _manifest_stamp(report: ManifestReport) -> tuple[int, ...] | None:
    """Return the local manifest file's stamp: () if it is absent, None if it is not local."""
    location = report.location
    if not report.applicable or not location or not os.path.isabs(location):
        return None  # no manifest, or a remote one: only the background refresh reads it
    try:
        st = os.stat(location)
    except OSError:
        return ()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _changed(kept: Kept, paths: Iterable[str]) -> bool:
    """Return True if a file behind one of ``paths``, or the manifest, changed since ``kept``."""
    if kept.manifest_stamp is not None and _manifest_stamp(kept.manifest) != kept.manifest_stamp:
        return True
    inventory = kept.inventory
    for path in paths:
        record = inventory.get(path)
        if record is None:
            if _findable(path):  # added since: the inventory cannot answer for it
                return True
            continue
        for candidate in record.candidates:
            if candidate.stamp is None:
                continue  # a custom finder's file with no local path: nothing to stat
            try:
                if FileStamp.of(candidate.location) != candidate.stamp:
                    return True
            except OSError:
                return True
    return False


def _findable(path: str) -> bool:
    try:
        return bool(finders.find(path))
    except (SuspiciousFileOperation, ValueError):
        return False


keeper = _Keeper()

# Settings the inventory is built from; a change (mostly in tests) makes the kept one wrong.
_WATCHED = {"INSTALLED_APPS", "STATICFILES_DIRS", "STATICFILES_FINDERS", "STATIC_ROOT", "STORAGES"}


@receiver(setting_changed)
def _forget_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting in _WATCHED:
        keeper.forget()
