"""The references scan, kept per process and checked as often as the caller asks.

``current_references(layers, max_age=...)`` follows the layers' freshness rule: pages accept a
scan younger than ``RECHECK_SECONDS`` judged against the same layers (``page_max_age()``), the
CLI and the checks nothing older than their call. A check re-stats every template and module,
reads only the files that changed (``scan``'s memo) and judges every reference again; one check
runs at a time, and a caller that waited for one takes its result when it is recent enough.
Pages and the toolbar panel (``stale_ok``) take the last scan at once and leave the check to a
background thread, started no more often than the layers' ``PAGE_SHARE`` and ``BACKGROUND_SHARE``
allow (at once for other layers): a page never waits for a re-scan, as it never waits for a
re-check of the files.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import NamedTuple

from .. import caches
from ..freshness import NOW, MaxAge
from ..layers import BACKGROUND_SHARE, Layers
from .model import ReferenceScan
from .scan import scan_references

logger = logging.getLogger(__name__)


class _Kept(NamedTuple):
    scan: ReferenceScan
    layers: Layers
    checked: float  # time.monotonic() when the check that made it began
    took: float

    def serves(self, layers: Layers, asked: float, max_age: MaxAge) -> bool:
        return self.layers is layers and self.checked > asked - max_age.local


_kept: _Kept | None = None
_generation = 0  # bumped by clear(): a scan that began before it is not kept
_one_check = threading.Lock()
_in_background = threading.Lock()


def _forget() -> None:
    global _kept, _generation
    _kept = None
    _generation += 1


caches.register(
    "references",
    _forget,
    fresh_while="younger than the caller's max_age and judged against the same layers",
)


def current_references(
    layers: Layers,
    *,
    max_age: MaxAge = NOW,
    stale_ok: bool = False,
    share: int = BACKGROUND_SHARE,
) -> ReferenceScan:
    """Return the references judged against ``layers``, no older than ``max_age`` allows
    (``stale_ok``: the last scan at once whenever there is one, checked in the background
    at once for other layers, else no sooner than ``share`` times its duration after it)."""
    asked = time.monotonic()
    kept = _kept
    if kept is not None and kept.serves(layers, asked, max_age):
        return kept.scan
    if stale_ok and kept is not None:
        due = kept.layers is not layers or asked >= kept.checked + kept.took * (1 + share)
        if due and _in_background.acquire(blocking=False):
            threading.Thread(
                target=_check_quietly, args=(layers,), name="inspector-references", daemon=True
            ).start()
        return kept.scan
    with _one_check:
        kept = _kept
        if kept is not None and kept.serves(layers, asked, max_age):
            return kept.scan  # checked by another thread while this one waited
        return _check(layers)


def _check(layers: Layers) -> ReferenceScan:
    """Scan now and keep the result (the caller holds ``_one_check``)."""
    global _kept
    generation, started = _generation, time.monotonic()
    scan = scan_references(layers)
    if generation == _generation:
        _kept = _Kept(scan, layers, started, time.monotonic() - started)
    return scan


def _check_quietly(layers: Layers) -> None:
    try:
        with _one_check:
            _check(layers)
    except Exception:  # nobody waits for it: the next caller's own scan says what failed
        logger.warning("background scan of the references failed", exc_info=True)
    finally:
        _in_background.release()
