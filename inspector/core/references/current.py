"""The references scan, kept per process and checked as often as the caller asks.

``current_references(layers, max_age=...)`` follows the layers' freshness rule: pages accept a
scan younger than ``RECHECK_SECONDS`` (``page_max_age()``), the CLI and the checks nothing older
than their call. A check re-stats every scanned file, reads only the changed ones (``scan``'s
memo) and judges every reference against the layers it is given.
The toolbar panel (``stale_ok``) takes the last scan at once and leaves the check to a
background thread, started no more often than the layers' ``BACKGROUND_SHARE`` allows.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from .. import caches
from ..freshness import NOW, MaxAge
from ..layers import BACKGROUND_SHARE, Layers
from .model import ReferenceScan
from .scan import scan_references

logger = logging.getLogger(__name__)


@dataclass
class _Last:
    scan: ReferenceScan | None = None
    layers: Layers | None = None
    checked: float = float("-inf")  # time.monotonic() when the check that made it began
    took: float = 0.0


_last = _Last()
_lock = threading.Condition()
_building = False
_generation = 0


def _forget() -> None:
    global _generation, _last
    with _lock:
        _last = _Last()
        _generation += 1


caches.register(
    "references",
    _forget,
    fresh_while="younger than the caller's max_age and judged against the same layers",
)


def current_references(
    layers: Layers, *, max_age: MaxAge = NOW, stale_ok: bool = False
) -> ReferenceScan:
    """Return the references judged against ``layers``, no older than ``max_age`` allows
    (``stale_ok``: the last scan at once whenever there is one, checked in the background)."""
    global _building
    asked = time.monotonic()
    with _lock:
        while True:
            last = _last
            fresh = last.layers is layers and last.checked > asked - max_age.local
            if last.scan is not None and (fresh or stale_ok):
                if not fresh:
                    _check_in_background(layers, asked)
                return last.scan
            if not _building:
                break
            _lock.wait()  # another thread is scanning: its scan may do
        _building = True
        generation = _generation
    return _check_now(layers, generation)


def _check_now(layers: Layers, generation: int) -> ReferenceScan:
    global _building, _last
    try:
        started = time.monotonic()
        scan = scan_references(layers)
        with _lock:
            if generation == _generation:
                _last = _Last(scan, layers, started, time.monotonic() - started)
    finally:
        with _lock:
            _building = False
            _lock.notify_all()
    return scan


def _check_quietly(layers: Layers, generation: int) -> None:
    try:
        _check_now(layers, generation)
    except Exception:  # nobody waits for it: the next caller's own scan says what failed
        logger.warning("background scan of the references failed", exc_info=True)


def _check_in_background(layers: Layers, now: float) -> None:
    global _building
    if _building or now < _last.checked + _last.took * (1 + BACKGROUND_SHARE):
        return
    _building = True
    threading.Thread(
        target=_check_quietly, args=(layers, _generation), name="inspector-references", daemon=True
    ).start()
